import { assertEquals } from "@std/assert";
import type { LinkStatus } from "../protocol/mod.ts";
import { httpKms } from "./kms_client.ts";
import { LinkMonitor } from "./link_monitor.ts";
import { SAMPLE_LINK_STATUS } from "../protocol/_test_link_report.ts";

Deno.test("the monitor reports every poll, and failures, until stopped", async () => {
  const statuses: LinkStatus[] = ["GREEN", "RED", "GREEN"];
  let polls = 0;
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => {
      const status = statuses[polls++];
      return status
        ? Response.json({ ...SAMPLE_LINK_STATUS, status })
        : new Response("down", { status: 503 });
    },
  );
  const seen: string[] = [];
  const done = Promise.withResolvers<void>();
  const kms = httpKms(`http://127.0.0.1:${server.addr.port}`, {
    deviceId: "Soldier_Alpha",
  });
  const monitor = new LinkMonitor(kms, {
    intervalMs: 10,
    onStatus: (link) => seen.push(link.status),
    onUnreachable: () => {
      seen.push("unreachable");
      done.resolve();
    },
  });
  monitor.start();
  await done.promise;
  await monitor.stop();
  assertEquals(seen, ["GREEN", "RED", "GREEN", "unreachable"]);
});
