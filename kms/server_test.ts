import { assert, assertEquals, assertMatch } from "@std/assert";
import { withMemoryKms } from "./_test_kms.ts";

Deno.test("/events streams the state first, then link and key events without key material", async () => {
  await withMemoryKms(async (kms) => {
    const response = await kms.handle(new Request("http://kms/events"));
    assertEquals(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream())
      .getReader();
    let seen = "";
    const readUntil = async (needle: string) => {
      while (!seen.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}`);
        seen += value;
      }
    };
    await readUntil("event:state");
    const key = await kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
    });
    await readUntil("event:key");
    await readUntil("event:link");
    assert(seen.indexOf("event:state") < seen.indexOf("event:link"));
    assert(seen.includes(key.body.key_id as string));
    assert(
      !seen.includes(key.body.key_hex as string),
      "no key material in events",
    );
    await kms.post("/force_attack");
    await readUntil("event:attack");
    await kms.post("/reset");
    await readUntil("event:reset");
    await reader.cancel();
  });
});

Deno.test("/metrics and /healthz; router_last_seen records BusyBox wget polls", async () => {
  await withMemoryKms(async (kms) => {
    await kms.post("/get_session_key", { device_id: "A", peer_id: "B" });
    await kms.get("/link_status", { "user-agent": "Wget" });
    const metrics = await kms.get("/metrics");
    assertMatch(metrics.text, /^qstcs_kms_keys_issued_total 1$/m);
    assertMatch(metrics.text, /^qstcs_kms_link_status\{status="GREEN"\} 1$/m);
    assertMatch(
      metrics.text,
      /qstcs_kms_request_duration_seconds_bucket\{route="\/get_session_key",le="\+Inf"\} 1/,
    );
    const link = await kms.get("/link_status");
    assert(typeof link.body.router_last_seen === "string");
    const health = await kms.get("/healthz");
    assertEquals(health.body.ok, true);
  });
});
