import { assertEquals } from "@std/assert";
import { createHandler } from "../../_fresh/server.ts";
import { FakeKms } from "../../_test_fake_kms.ts";
import { KmsMonitor } from "../../kms_monitor.ts";
import { site } from "../../site.ts";

function setup() {
  const kms = new FakeKms();
  const monitor = new KmsMonitor({
    kmsUrl: "http://kms.test",
    fetch: kms.fetch,
    log: () => {},
  });
  const handle = createHandler(site, { state: { monitor } });
  const post = (path: string, headers: Record<string, string> = {}) =>
    handle(
      new Request(`http://127.0.0.1:8501${path}`, { method: "POST", headers }),
    );
  return { kms, post, handle };
}

const fromPage = {
  accept: "application/json",
  origin: "http://127.0.0.1:8501",
  "sec-fetch-site": "same-origin",
};

Deno.test("POST /api/force_attack and /api/reset go to the KMS", async () => {
  const { kms, post } = setup();
  const attack = await post("/api/force_attack", fromPage);
  assertEquals(attack.status, 200);
  assertEquals(await attack.json(), {
    ok: true,
    message: "Attack simulated: link RED, QBER 25.0%",
  });
  const reset = await post("/api/reset", fromPage);
  assertEquals((await reset.json()).ok, true);
  assertEquals(kms.requests, ["POST /force_attack", "POST /reset"]);
});

Deno.test("a plain form post is redirected back to the page", async () => {
  const { post } = setup();
  const response = await post("/api/reset", {
    origin: "http://127.0.0.1:8501",
  });
  assertEquals([response.status, response.headers.get("location")], [303, "/"]);
});

Deno.test("other sites cannot post, and only the two actions exist", async () => {
  const { kms, post, handle } = setup();
  for (
    const headers of [
      { ...fromPage, origin: "http://evil.test" },
      { ...fromPage, "sec-fetch-site": "cross-site" },
      { ...fromPage, origin: "null" },
    ]
  ) {
    const response = await post("/api/force_attack", headers);
    assertEquals(response.status, 403);
    assertEquals((await response.json()).ok, false);
  }
  const unknown = await post("/api/activate_eve", fromPage);
  assertEquals(unknown.status, 404);
  await unknown.body?.cancel();
  const get = await handle(new Request("http://127.0.0.1:8501/api/reset"));
  assertEquals(get.status, 405);
  await get.body?.cancel();
  assertEquals(kms.requests, []);
});

Deno.test("a KMS that is down is reported with 502", async () => {
  const { kms, post } = setup();
  kms.stop();
  const response = await post("/api/force_attack", fromPage);
  assertEquals(response.status, 502);
  assertEquals(await response.json(), {
    ok: false,
    message: "KMS unreachable at http://kms.test",
  });
});
