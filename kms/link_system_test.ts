/**
 * The continuous link in the real KMS process, with its worker and its
 * permission set: blocks fill the pool by themselves, an attack turns the
 * link RED within a few blocks and flushes the pool, a reset refills it,
 * PNS stays GREEN without keys, SIGINT and SIGTERM stop it cleanly, and a
 * restart never hands out pool bits a key already took.
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { PROJECT_ROOT } from "../common/service_process.ts";
import { delay } from "../common/std.ts";
import {
  isLinkStatusResponse,
  type LinkReport,
  parseKmsEvent,
} from "../protocol/mod.ts";
import {
  enroll,
  removeDataDir,
  startKms,
  TEST_LINK_ARGS,
  type TestClient,
  waitForPool,
} from "./_test_kms.ts";
import { includesBytes } from "./_test_bytes.ts";

async function link(kms: TestClient): Promise<LinkReport> {
  const { body } = await kms.get("/link_status");
  if (!isLinkStatusResponse(body)) throw new Error("not a /link_status answer");
  return body.link;
}

/** Polls `/link_status` until `done` holds for its body. */
async function until(
  kms: TestClient,
  done: (body: Record<string, unknown>) => boolean,
): Promise<Record<string, unknown>> {
  while (true) {
    const { body } = await kms.get("/link_status");
    if (done(body)) return body;
    await delay(100);
  }
}

Deno.test("the real link: blocks fill the pool, force_attack turns RED through blocks and flushes the pool, reset refills it; the events parse", async () => {
  const kms = await startKms({ open: true });
  const events = await fetch(`${kms.url}/events`);
  try {
    const before = await link(kms);
    assert(before.blocks >= 1);
    assertEquals(before.last_block?.eve, "none");
    assert(before.pool_bits >= 256);
    assert(before.key_rate_bps > 0);
    const attack = await kms.post("/force_attack");
    assertEquals(attack.body.status, "RED");
    assert((attack.body.qber as number) > 0.11);
    const red = await link(kms);
    assertEquals([red.eve, red.pool_bits], ["intercept_resend", 0]);
    assert(red.blocks > before.blocks, "RED came from blocks");
    const refused = await kms.post("/get_session_key", {
      device_id: "A",
      peer_id: "B",
    });
    assertEquals(refused.body.status, "RED");
    assertEquals((await kms.post("/reset")).status, 200);
    await waitForPool(kms, { bits: 256 });
    const key = await kms.post("/get_session_key", {
      device_id: "A",
      peer_id: "B",
    });
    assertMatch(key.body.key_hex as string, /^[0-9a-f]{64}$/);
    // SIGTERM stops the worker with the server: a clean exit.
    assertEquals((await kms.process.stop("SIGTERM")).code, 0);
    const text = await events.text();
    const parsed = [...text.matchAll(/event:(\w+)\ndata:(.*)\n/g)].map((
      [, name, data],
    ) => parseKmsEvent(name, data));
    assert(parsed.every((e) => e !== null), "every event parses");
    const names = new Set(parsed.map((e) => e?.event));
    for (const name of ["state", "block", "link", "pool", "attack", "reset"]) {
      assert(names.has(name as never), `a ${name} event`);
    }
    assertMatch(
      kms.process.output,
      /\[POOL_FLUSHED\] bits=\d+ reason=link_red/,
    );
    assertMatch(kms.process.output, /\[LINK_RED\] from=/);
  } finally {
    await events.body?.cancel().catch(() => {});
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});

Deno.test("the real link under PNS: GREEN QBER, but blocks without key (insufficient_secret_bits)", async () => {
  const kms = await startKms({ open: true, poolBits: 0 });
  try {
    await kms.post("/activate_eve", { mode: "pns" });
    const body = await until(kms, (b) => {
      const last = (b.link as LinkReport).last_block;
      return last?.eve === "pns";
    });
    assertEquals(body.status, "GREEN");
    const last = (body.link as LinkReport).last_block!;
    assert(last.qber < 0.05, `QBER ${last.qber}`);
    assertEquals(last.outcome, "insufficient_secret_bits");
    assertEquals((await kms.process.stop("SIGINT")).code, 0, "SIGINT too");
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});

Deno.test("a restart never hands out pool bits a key already took, and the database holds no key in clear", async () => {
  let kms = await startKms({ poolBits: 8192 });
  const { dataDir } = kms;
  try {
    const token = await enroll(dataDir, "SAE_A");
    await enroll(dataDir, "SAE_B");
    const asA = { authorization: `Bearer ${token}` };
    const first = await kms.get(
      "/api/v1/keys/SAE_B/enc_keys?number=16&size=256",
      asA,
    );
    assertEquals(first.status, 200);
    const keys = (first.body.keys as { key: string }[]).map((k) => k.key);
    await kms.stop();
    const files = [...Deno.readDirSync(`${PROJECT_ROOT}${dataDir}`)];
    for (const file of files.filter((f) => f.name.startsWith("kms.db"))) {
      const bytes = Deno.readFileSync(`${PROJECT_ROOT}${dataDir}/${file.name}`);
      for (const key of keys) {
        assert(
          !includesBytes(bytes, Uint8Array.fromBase64(key)),
          `a key in clear in ${file.name}`,
        );
      }
    }
    // A block now lasts hours of link time: every key after the restart
    // comes from the bits the pool kept.
    kms = await startKms({
      dataDir,
      poolBits: 0,
      linkArgs: [...TEST_LINK_ARGS, "--pulse-rate", "1000"],
    });
    const kept = await link(kms);
    assert(kept.pool_bits >= 256, `${kept.pool_bits} bits kept`);
    assertEquals(kept.blocks, 0);
    const number = Math.min(128, Math.floor(kept.pool_bits / 256));
    const again = await kms.get(
      `/api/v1/keys/SAE_B/enc_keys?number=${number}&size=256`,
      asA,
    );
    assertEquals(again.status, 200);
    const later = (again.body.keys as { key: string }[]).map((k) => k.key);
    for (const key of later) {
      assert(!keys.includes(key), "a key handed out twice");
    }
  } finally {
    await kms.stop();
    await removeDataDir(dataDir);
  }
});
