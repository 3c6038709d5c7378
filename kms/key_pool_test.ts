import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { importAesKey, type KmsEvent } from "../protocol/mod.ts";
import { PROJECT_ROOT } from "../common/service_process.ts";
import { EventHub } from "./events.ts";
import { KeyPool, type PoolTake } from "./key_pool.ts";
import { KmsStore } from "./store.ts";
import { removeDataDir, testDataDir } from "./_test_kms.ts";
import { includesBytes, randomBytes } from "./_test_bytes.ts";

const MASTER = await importAesKey(crypto.getRandomValues(new Uint8Array(32)));

/** A pool on `store`; the events it publishes go to `options.events`. */
function pool(
  store: KmsStore,
  options: {
    capacityBits?: number;
    events?: KmsEvent[];
    takeEventMs?: number;
  } = {},
): KeyPool {
  const hub = new EventHub();
  const events = options.events;
  if (events) hub.publish = (event) => void events.push(event);
  return new KeyPool(store, {
    capacityBits: options.capacityBits ?? 1 << 16,
    masterKey: MASTER,
    hub,
    takeEventMs: options.takeEventMs,
  });
}

/** `count` distinct bytes 0, 1, 2, ... (mod 256), to see where takes come from. */
function counting(count: number, from = 0): Uint8Array {
  return Uint8Array.from({ length: count }, (_, i) => (from + i) % 256);
}

Deno.test("a take returns exactly the bits asked for, oldest first, or refuses at once without consuming", async () => {
  const store = new KmsStore(":memory:");
  const keys = pool(store);
  await keys.add(counting(16));
  await keys.add(counting(16, 16));
  assertEquals(keys.bits, 256);
  const first = keys.take(64);
  assertEquals(first.ok && [...first.secret], [0, 1, 2, 3, 4, 5, 6, 7]);
  // Across the two blocks' chunks.
  const across = keys.take(128);
  assertEquals(across.ok && across.secret, counting(16, 8));
  assertEquals(keys.take(128), {
    ok: false,
    reason: "pool_empty",
    poolBits: 64,
  });
  assertEquals(keys.bits, 64, "a refusal consumes nothing");
  const rest = keys.take(64);
  assertEquals(rest.ok && rest.secret, counting(8, 24));
  assertEquals(keys.bits, 0);
  keys.close();
  store.close();
});

Deno.test("the pool keeps at most its capacity; a flush empties it and overtakes an add under way", async () => {
  const store = new KmsStore(":memory:");
  const events: KmsEvent[] = [];
  const keys = pool(store, { capacityBits: 4096, events });
  assertEquals(await keys.add(randomBytes(400)), 3200);
  assertEquals(await keys.add(randomBytes(400)), 896, "only what fits");
  assert(keys.full);
  assertEquals(await keys.add(randomBytes(8)), 0);
  const late = keys.add(randomBytes(8));
  assertEquals(keys.flush(), 4096);
  assertEquals(await late, 0, "sealed before the flush, dropped after it");
  assertEquals([keys.bits, keys.full], [0, false]);
  const flushed = events.find((e) => e.event === "pool");
  assertEquals(flushed?.event === "pool" && flushed.data.change, "flushed");
  assertEquals(flushed?.event === "pool" && flushed.data.bits, 4096);
  keys.close();
  store.close();
});

Deno.test("take events are coalesced: a burst of takes publishes a few pool events, summing the bits", async () => {
  const store = new KmsStore(":memory:");
  const events: KmsEvent[] = [];
  const keys = pool(store, { events, takeEventMs: 50 });
  await keys.add(randomBytes(8192));
  for (let i = 0; i < 200; i++) keys.take(256);
  await new Promise((resolve) => setTimeout(resolve, 80));
  const taken = events.filter((e) => e.event === "pool");
  assertEquals(taken.length, 2, "the first at once, the rest after 50 ms");
  assertEquals(
    taken.reduce((sum, e) => sum + (e.event === "pool" ? e.data.bits : 0), 0),
    200 * 256,
  );
  keys.close();
  store.close();
});

Deno.test("a restart never hands out consumed bits again, and the database holds the pool sealed, never in clear", async () => {
  const dataDir = testDataDir();
  await Deno.mkdir(`${PROJECT_ROOT}${dataDir}`, { recursive: true });
  const path = `${PROJECT_ROOT}${dataDir}/kms.db`;
  try {
    const secret = randomBytes(1024);
    let store = new KmsStore(path);
    let keys = pool(store);
    await keys.add(secret);
    const taken = secretOf(keys.take(2048));
    keys.close();
    store.close();
    const disk = await Deno.readFile(path);
    for (const probe of [secret.subarray(0, 32), secret.subarray(512, 544)]) {
      assert(!includesBytes(disk, probe), "no pooled bits in clear on disk");
    }
    store = new KmsStore(path);
    keys = pool(store);
    assertEquals(await keys.restore(), 8192 - 2048);
    const after = secretOf(keys.take(8192 - 2048));
    assertEquals(after, secret.subarray(256), "the rest, only the rest");
    assertNotEquals(after.subarray(0, 256), taken);
    keys.close();
    store.close();
    store = new KmsStore(path);
    keys = pool(store);
    assertEquals(await keys.restore(), 0, "taken to the end: nothing left");
    keys.close();
    store.close();
  } finally {
    await removeDataDir(dataDir);
  }
});

function secretOf(take: PoolTake): Uint8Array {
  if (!take.ok) throw new Error(`refused: ${take.poolBits} bits pooled`);
  return take.secret;
}
