// ETSI GS QKD 014 delivery against a real KMS process: a kill -9 in the
// middle of concurrent dec_keys loses no key and gives none to another SAE.
import { assert, assertEquals } from "@std/assert";
import { delay } from "../common/std.ts";
import { enroll, removeDataDir, startKms, type TestKms } from "./_test_kms.ts";

type Keys = { key_ID: string; key: string }[];

const KEYS = 1024;
const PER_REQUEST = 64;

/** POSTs dec_keys; the keys if the whole answer arrived, else undefined. */
async function collect(
  kms: TestKms,
  options: { ids: string[]; token: string },
): Promise<Keys | undefined> {
  try {
    const response = await fetch(`${kms.url}/api/v1/keys/SAE_A/dec_keys`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${options.token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        key_IDs: options.ids.map((key_ID) => ({ key_ID })),
      }),
    });
    const body = await response.json();
    return response.status === 200 ? body.keys : undefined;
  } catch {
    return undefined; // killed mid-answer
  }
}

Deno.test("kill -9 during concurrent dec_keys: every key was in a complete answer or is still there for its slave, and for no other SAE", async () => {
  let kms = await startKms({ poolBits: KEYS * 64 + 1024 });
  const { dataDir } = kms;
  try {
    const master = await enroll(dataDir, "SAE_A");
    const slave = await enroll(dataDir, "SAE_B");
    const other = await enroll(dataDir, "SAE_C");
    const issued: Keys = [];
    for (let i = 0; i < KEYS / 128; i++) {
      const got = await kms.get(
        "/api/v1/keys/SAE_B/enc_keys?number=128&size=64",
        { authorization: `Bearer ${master}` },
      );
      assertEquals(got.status, 200, got.text);
      issued.push(...got.body.keys as Keys);
    }
    const batches = Array.from(
      { length: KEYS / PER_REQUEST },
      (_, i) =>
        issued.slice(i * PER_REQUEST, (i + 1) * PER_REQUEST).map((k) =>
          k.key_ID
        ),
    );
    // Eight clients at a time until the kill.
    const received: Keys[] = [];
    let next = 0;
    const client = async () => {
      while (next < batches.length) {
        const keys = await collect(kms, { ids: batches[next++], token: slave });
        if (keys) received.push(keys);
      }
    };
    const clients = Promise.all(Array.from({ length: 8 }, client));
    // Once the first answer is in, the others are on their way.
    while (received.length === 0) await delay(1);
    await delay(Math.random() * 10);
    await kms.process.stop("SIGKILL");
    await clients;
    const got = received.flat();
    assertEquals(
      new Set(got.map((k) => k.key_ID)).size,
      got.length,
      "no key in two complete answers",
    );
    const byId = new Map(issued.map((k) => [k.key_ID, k.key]));
    for (const k of got) assertEquals(k.key, byId.get(k.key_ID));
    assert(got.length < KEYS, "the kill came before the last answer");

    kms = await startKms({ dataDir, poolBits: 0 });
    const seen = new Set(got.map((k) => k.key_ID));
    const missing = issued.filter((k) => !seen.has(k.key_ID));
    // Every key not in a complete answer is still there for SAE_B.
    for (let i = 0; i < missing.length; i += 128) {
      const ids = missing.slice(i, i + 128).map((k) => k.key_ID);
      assertEquals(
        await collect(kms, { ids, token: other }),
        undefined,
        "never for another SAE",
      );
      const keys = await collect(kms, { ids, token: slave });
      assertEquals(keys?.map((k) => k.key), ids.map((id) => byId.get(id)));
    }
    // A key that reached SAE_B is gone (400), or back once more for SAE_B
    // alone if the kill came between the last byte and its record (the
    // residual window): never another SAE's.
    for (const k of got) {
      const again = await kms.get(
        `/api/v1/keys/SAE_A/dec_keys?key_ID=${k.key_ID}`,
        { authorization: `Bearer ${other}` },
      );
      assert([400, 401].includes(again.status), again.text);
    }
    const reclaimed = /\[ETSI_KEYS_RECLAIMED\] count=(\d+)/.exec(
      kms.process.output,
    )?.[1] ?? 0;
    console.log(
      `${got.length} keys in complete answers before the kill, ` +
        `${missing.length} collected after the restart, ${reclaimed} of ` +
        "them claimed by answers in flight at the kill",
    );
  } finally {
    await kms.stop();
    await removeDataDir(dataDir);
  }
});

Deno.test("16 concurrent enc_keys over HTTP near the 4,096-key cap store at most the cap", async () => {
  const kms = await startKms({ poolBits: 0 });
  try {
    const master = await enroll(kms.dataDir, "SAE_A");
    await enroll(kms.dataDir, "SAE_B");
    const asA = { authorization: `Bearer ${master}` };
    // Fill to 4,096 - 300 keys of 64 bits, taking the pool as it grows.
    let stored = 0;
    const ask = (number: number) =>
      kms.get(`/api/v1/keys/SAE_B/enc_keys?number=${number}&size=64`, asA);
    while (stored < 4096 - 300) {
      const got = await ask(Math.min(128, 4096 - 300 - stored));
      if (got.status === 200) stored += (got.body.keys as Keys).length;
      else await delay(100);
    }
    // Then sixteen at once, with the pool holding enough for all.
    while (true) {
      const link = (await kms.get("/link_status")).body.link as {
        pool_bits: number;
      };
      if (link.pool_bits >= 16 * 128 * 64) break;
      await delay(200);
    }
    const answers = await Promise.all(
      Array.from({ length: 16 }, () => ask(128)),
    );
    const served = answers.filter((a) => a.status === 200).length;
    for (const a of answers.filter((a) => a.status !== 200)) {
      assertEquals(a.status, 400, a.text);
    }
    assertEquals(served, 2, "room for two requests of 128 under the cap");
    // The pair holds 4,052: room for 44 more, not 45.
    assertEquals((await ask(45)).status, 400);
    assertEquals((await ask(44)).status, 200);
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});
