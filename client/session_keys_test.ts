import { assertEquals } from "@std/assert";
import { FakeKms, testKey } from "./_test_fakes.ts";
import type { KmsKey } from "./kms_client.ts";
import { type KeyEvent, SessionKeys } from "./session_keys.ts";

function keysFor(kms: FakeKms, peer = () => "Soldier_Bravo") {
  const events: KeyEvent[] = [];
  const stop = new AbortController();
  const keys = new SessionKeys({
    kms,
    peer,
    onEvent: (event) => void events.push(event),
    signal: stop.signal,
    retryMs: 1,
  });
  return { keys, events, stop };
}

/** A holder of fetched keys, as the secure channel is one. */
function holder(peerId = "Soldier_Bravo") {
  const held = new Map<string, KmsKey>();
  return {
    held,
    peerId,
    hasKey: (keyId: string) => held.has(keyId),
    storeKey: (key: KmsKey) => {
      held.set(key.keyId, key);
      return Promise.resolve();
    },
  };
}

Deno.test("the re-key loop retries, says why once, and ends with the key", async () => {
  const key = testKey();
  const kms = new FakeKms([
    new Error("KMS unreachable"),
    { ok: false, reason: "refused", error: "bb84_aborted" },
    { ok: true, key },
  ]);
  const { keys, events } = keysFor(kms);
  const done = keys.rekey();
  assertEquals(keys.rekeying, true);
  assertEquals(keys.rekey(), done, "a second re-key joins the first");
  await done;
  assertEquals(keys.rekeying, false);
  assertEquals(events, [
    { kind: "no_key", cause: { failed: "KMS unreachable" }, retryMs: 1 },
    { kind: "key_ready", key },
  ]);
  assertEquals(kms.requests.length, 3);
});

Deno.test("a RED answer is reported every time, not only once", async () => {
  const red = {
    ok: false as const,
    reason: "refused" as const,
    error: "link RED",
    status: "RED" as const,
    qber: 0.3,
  };
  const kms = new FakeKms([red, red, { ok: true, key: testKey() }]);
  const { keys, events } = keysFor(kms);
  await keys.rekey();
  assertEquals(events.map((e) => e.kind), [
    "refused_red",
    "refused_red",
    "key_ready",
  ]);
  assertEquals(events[0], { kind: "refused_red", qber: 0.3 });
});

Deno.test("a peer switched during a request: the key is asked for the new pair", async () => {
  let peer = "Soldier_Bravo";
  const kms = new FakeKms([{ ok: true, key: testKey("k-1") }, {
    ok: true,
    key: testKey("k-2"),
  }]);
  const { keys, events } = keysFor(kms, () => {
    const now = peer;
    peer = "Soldier_Charlie";
    return now;
  });
  await keys.rekey();
  assertEquals(kms.requests, ["Soldier_Bravo", "Soldier_Charlie"]);
  assertEquals(events.length, 1);
});

Deno.test("a peer switched while the key was adopted: the new pair's key follows", async () => {
  let peer = "Soldier_Charlie";
  const kms = new FakeKms([{ ok: true, key: testKey("k-1") }, {
    ok: true,
    key: testKey("k-2"),
  }]);
  const ready: string[] = [];
  const stop = new AbortController();
  const keys = new SessionKeys({
    kms,
    peer: () => peer,
    onEvent: (event) => {
      if (event.kind !== "key_ready") return;
      ready.push(event.key.keyId);
      // `/peer Soldier_Alpha` typed while Charlie's key is being adopted.
      if (peer === "Soldier_Charlie") peer = "Soldier_Alpha";
    },
    signal: stop.signal,
    retryMs: 1,
  });
  await keys.rekey();
  assertEquals(kms.requests, ["Soldier_Charlie", "Soldier_Alpha"]);
  assertEquals(ready, ["k-1", "k-2"]);
});

Deno.test("keys by id: fetched once, unknown ones never asked for again", async () => {
  const kms = new FakeKms([{ ok: true, key: testKey() }]);
  kms.byId.set("k-7", testKey("k-7"));
  const { keys, events } = keysFor(kms);
  const channel = holder();
  assertEquals(await keys.fetch(channel, "k-7"), true);
  assertEquals(await keys.fetch(channel, "k-7"), true);
  assertEquals(await keys.fetch(channel, "k-x"), false);
  assertEquals(await keys.fetch(channel, "k-x"), false);
  assertEquals(kms.requests, ["Soldier_Bravo k-7", "Soldier_Bravo k-x"]);
  assertEquals(events, [{
    kind: "unknown_key",
    keyId: "k-x",
    peer: "Soldier_Bravo",
  }]);
});

Deno.test("a failed fetch is reported, unless the client is stopping", async () => {
  const kms = new FakeKms([{ ok: true, key: testKey() }]);
  kms.sessionKey = () => Promise.reject(new Error("timeout"));
  const { keys, events, stop } = keysFor(kms);
  assertEquals(await keys.fetch(holder(), "k-1"), false);
  stop.abort();
  assertEquals(await keys.fetch(holder(), "k-2"), false);
  await keys.settled();
  assertEquals(events, [{
    kind: "key_fetch_failed",
    keyId: "k-1",
    message: "timeout",
  }]);
});

Deno.test("requests do not cross: a fetch waits for the re-key's request", async () => {
  const order: string[] = [];
  let release = () => {};
  const kms = new FakeKms([{ ok: true, key: testKey() }]);
  const answer = kms.sessionKey.bind(kms);
  kms.sessionKey = async (request) => {
    order.push(`start ${request.keyId ?? "fresh"}`);
    if (request.keyId === undefined) {
      await new Promise<void>((resolve) => release = resolve);
    }
    order.push(`end ${request.keyId ?? "fresh"}`);
    return answer(request);
  };
  const { keys } = keysFor(kms);
  const rekey = keys.rekey();
  const fetch = keys.fetch(holder(), "k-9");
  await new Promise((resolve) => setTimeout(resolve, 10));
  release();
  await Promise.all([rekey, fetch]);
  assertEquals(order, ["start fresh", "end fresh", "start k-9", "end k-9"]);
});
