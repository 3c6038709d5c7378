import { assertEquals, assertNotEquals, assertThrows } from "@std/assert";
import { hkdfSha256 } from "../quantum/hkdf.ts";
import {
  type ChainContext,
  MAX_SKIPPED_KEYS,
  ReceiverChain,
  SenderChain,
} from "./sender_key.ts";

const context: ChainContext = {
  room: "squad1",
  epoch: 3,
  sender: "Soldier_Alpha",
  roomKey: crypto.getRandomValues(new Uint8Array(32)),
};
const read = (key: Uint8Array) => key.slice();

function pair(): { own: SenderChain; theirs: ReceiverChain } {
  const own = SenderChain.create(context);
  return { own, theirs: new ReceiverChain(own.startKey(), context) };
}

Deno.test("the chain follows the contract's HKDF-SHA256 steps exactly", () => {
  const start = crypto.getRandomValues(new Uint8Array(32));
  const chain = new SenderChain(start, context);
  const salt = context.roomKey;
  const info = (i: number) => `qstcs-room-msg-v1|squad1|3|Soldier_Alpha|${i}`;
  const c1 = hkdfSha256(start, { salt, info: "qstcs-room-chain-v1" });
  const c2 = hkdfSha256(c1, { salt, info: "qstcs-room-chain-v1" });
  assertEquals(chain.next(), {
    index: 0,
    key: hkdfSha256(start, { salt, info: info(0) }),
  });
  assertEquals(chain.next().key, hkdfSha256(c1, { salt, info: info(1) }));
  assertEquals(chain.next().key, hkdfSha256(c2, { salt, info: info(2) }));
});

Deno.test("a receiver derives the sender's keys in order", async () => {
  const { own, theirs } = pair();
  for (let i = 0; i < 10; i++) {
    const sent = own.next();
    assertEquals(await theirs.open(i, read), { ok: true, value: sent.key });
  }
});

Deno.test("every field of the context separates the keys", () => {
  const start = crypto.getRandomValues(new Uint8Array(32));
  const first = new SenderChain(start, context).next().key;
  const variants: ChainContext[] = [
    { ...context, room: "squad2" },
    { ...context, epoch: 4 },
    { ...context, sender: "Soldier_Bravo" },
    { ...context, roomKey: crypto.getRandomValues(new Uint8Array(32)) },
  ];
  for (const variant of variants) {
    assertNotEquals(new SenderChain(start, variant).next().key, first);
  }
});

Deno.test("skipped indices open later, each index only once", async () => {
  const { own, theirs } = pair();
  const keys = Array.from({ length: 5 }, () => own.next().key);
  assertEquals(await theirs.open(3, read), { ok: true, value: keys[3] });
  assertEquals(await theirs.open(1, read), { ok: true, value: keys[1] });
  assertEquals(await theirs.open(3, read), { ok: false, reason: "used" });
  assertEquals(await theirs.open(1, read), { ok: false, reason: "used" });
  assertEquals(await theirs.open(0, read), { ok: true, value: keys[0] });
  assertEquals(await theirs.open(2, read), { ok: true, value: keys[2] });
  assertEquals(await theirs.open(4, read), { ok: true, value: keys[4] });
  assertEquals(await theirs.open(4, read), { ok: false, reason: "used" });
});

Deno.test("an index more than MAX_SKIPPED_KEYS ahead is refused", async () => {
  const { theirs } = pair();
  assertEquals(await theirs.open(MAX_SKIPPED_KEYS + 1, read), {
    ok: false,
    reason: "too_far",
  });
  assertEquals((await theirs.open(MAX_SKIPPED_KEYS, read)).ok, true);
  assertEquals(await theirs.open(2 * MAX_SKIPPED_KEYS + 2, read), {
    ok: false,
    reason: "too_far",
  });
  assertEquals(await theirs.open(-1, read), { ok: false, reason: "too_far" });
  assertEquals(await theirs.open(0.5, read), { ok: false, reason: "too_far" });
});

Deno.test("at most MAX_SKIPPED_KEYS skipped keys are kept, the oldest dropped", async () => {
  const start = crypto.getRandomValues(new Uint8Array(32));
  const own = new SenderChain(start, context);
  const keys = Array.from(
    { length: 2 * MAX_SKIPPED_KEYS + 1 },
    () => own.next().key,
  );
  const theirs = new ReceiverChain(start, context);
  // Keeps 0..1999, then 2001..3999 push the first 1999 out.
  assertEquals((await theirs.open(MAX_SKIPPED_KEYS, read)).ok, true);
  assertEquals((await theirs.open(2 * MAX_SKIPPED_KEYS, read)).ok, true);
  assertEquals(await theirs.open(0, read), { ok: false, reason: "too_old" });
  assertEquals(await theirs.open(MAX_SKIPPED_KEYS - 2, read), {
    ok: false,
    reason: "too_old",
  });
  for (const index of [MAX_SKIPPED_KEYS - 1, 2 * MAX_SKIPPED_KEYS - 1]) {
    assertEquals(await theirs.open(index, read), {
      ok: true,
      value: keys[index],
    });
  }
  assertEquals(await theirs.open(MAX_SKIPPED_KEYS, read), {
    ok: false,
    reason: "used",
  });
});

Deno.test("a line that does not open consumes nothing", async () => {
  const { own, theirs } = pair();
  const keys = Array.from({ length: 6 }, () => own.next().key);
  assertEquals(await theirs.open(5, () => null), {
    ok: false,
    reason: "auth_failed",
  });
  assertEquals(await theirs.open(5, read), { ok: true, value: keys[5] });
  assertEquals(await theirs.open(2, () => null), {
    ok: false,
    reason: "auth_failed",
  });
  assertEquals(await theirs.open(2, read), { ok: true, value: keys[2] });
});

Deno.test("keys are erased after use and by erase()", async () => {
  const { own, theirs } = pair();
  own.next();
  let seen: Uint8Array = new Uint8Array(0);
  await theirs.open(0, (key) => {
    seen = key;
    return true;
  });
  assertEquals(seen, new Uint8Array(32));
  own.erase();
  assertEquals(own.startKey(), new Uint8Array(32));
  theirs.erase();
});

Deno.test("concurrent opens are serialised and each index opens once", async () => {
  const { own, theirs } = pair();
  const keys = Array.from({ length: 4 }, () => own.next().key);
  const slow = async (key: Uint8Array) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return key.slice();
  };
  const results = await Promise.all(
    [3, 1, 3, 0, 2].map((i) => theirs.open(i, slow)),
  );
  assertEquals(results, [
    { ok: true, value: keys[3] },
    { ok: true, value: keys[1] },
    { ok: false, reason: "used" },
    { ok: true, value: keys[0] },
    { ok: true, value: keys[2] },
  ]);
});

Deno.test("the start key is copied in and out", () => {
  const start = crypto.getRandomValues(new Uint8Array(32));
  const chain = new SenderChain(start, context);
  const copy = start.slice();
  start.fill(1);
  assertEquals(chain.startKey(), copy);
  chain.startKey().fill(2);
  assertEquals(chain.startKey(), copy);
});

Deno.test("keys of the wrong length are refused", () => {
  assertThrows(() => new SenderChain(new Uint8Array(16), context), RangeError);
  assertThrows(
    () =>
      new ReceiverChain(new Uint8Array(32), {
        ...context,
        roomKey: new Uint8Array(31),
      }),
    RangeError,
  );
});
