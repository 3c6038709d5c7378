import { assertEquals } from "@std/assert";
import { ServerSentEventParseStream } from "../../common/std.ts";
import { FakeKms } from "../_test_fake_kms.ts";
import { waitUntil } from "../../testing/wait.ts";
import { testSite } from "../_test_site.ts";

Deno.test("GET /events sends a snapshot, then each change, and ends at shutdown", async () => {
  const kms = new FakeKms();
  const site = testSite(kms);
  const { monitor } = site;
  monitor.start();
  await waitUntil(() => monitor.state.kms === "live", "live");
  const { cookie } = await site.login();
  const response = await site.handle("/events", { headers: { cookie } });
  assertEquals(response.headers.get("content-type"), "text/event-stream");
  const messages = response.body!.pipeThrough(
    new ServerSentEventParseStream({ ignoreComments: true }),
  );
  const reader = messages.getReader();
  const snapshot = (await reader.read()).value!;
  assertEquals([snapshot.event, snapshot.retry], ["snapshot", 1000]);
  assertEquals(JSON.parse(snapshot.data!).status, "GREEN");
  kms.emit("link", {
    status: "RED",
    qber: 0.26,
    rolling_qber: 0.14,
    eve: true,
    qubits: 2048,
    time: "T",
  });
  const update = (await reader.read()).value!;
  assertEquals(update.event, "update");
  assertEquals(JSON.parse(update.data!), {
    type: "link",
    status: "RED",
    qber: 0.26,
    time: "T",
  });
  await monitor.close();
  // Whatever was queued, then the end.
  while (!(await reader.read()).done);
});
