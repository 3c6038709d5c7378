import { assert, assertEquals, assertMatch } from "@std/assert";
import {
  isLinkReport,
  isLinkStatusResponse,
  type LinkStatusResponse,
} from "../protocol/mod.ts";
import { MEMORY_POOL_BITS, withMemoryKms } from "./_test_memory_kms.ts";

function linkStatus(body: unknown): LinkStatusResponse {
  if (!isLinkStatusResponse(body)) throw new Error("not a /link_status answer");
  return body;
}

const PAIR = { device_id: "Soldier_Alpha", peer_id: "Soldier_Bravo" };

Deno.test("/link_status carries the link: a LinkReport of settings, pool, key rate and the last block", async () => {
  await withMemoryKms(async (kms) => {
    let status = linkStatus((await kms.get("/link_status")).body);
    assertEquals(status.link.blocks, 0);
    assertEquals(status.link.last_block, null);
    assertEquals(status.link.pool_bits, MEMORY_POOL_BITS);
    assertEquals(status.link.settings.block_size, 100_000);
    assertEquals(status.link.settings.simulated, true);
    await kms.source.emit(2);
    status = linkStatus((await kms.get("/link_status")).body);
    const { link } = status;
    assert(isLinkReport(link));
    assertEquals(link.blocks, 2);
    assertEquals(link.pool_bits, MEMORY_POOL_BITS + 2 * 8192);
    assertEquals(link.last_block?.outcome, "key");
    assertEquals(link.last_block?.index, 2);
    // 8192 bits per 0.031 s of link time.
    assertEquals(Math.round(link.key_rate_bps), Math.round(8192 / 0.031));
    assertEquals(status.history, [0.02, 0.02]);
  }, { args: ["--block-size", "100000"] });
});

Deno.test("an empty pool answers at once: the seed API's {error, message, status} body, the session API's, ETSI's 503", async () => {
  await withMemoryKms(async (kms) => {
    // The scripted link runs no block unless told: an answer that waited
    // for one would never come.
    const seed = await kms.post("/get_session_key", PAIR);
    assertEquals(seed.status, 200);
    assertEquals(seed.body.error, "key_pool_empty");
    assertEquals(seed.body.status, "GREEN");
    assertEquals(seed.body.pool_bits, 0);
    assertEquals(seed.body.key_hex, undefined);
    assertMatch(
      seed.body.message as string,
      /^key pool empty: 0 bits pooled, 256 needed; the \(simulated\) link adds about 0 bits\/s$/,
    );
    const session = await kms.post("/create_session", {
      initiator: "Soldier_Alpha",
      peer: "Soldier_Bravo",
    });
    assertEquals(session.body.error, "key_pool_empty");
    const asA = { authorization: `Bearer ${kms.enroll("SAE_A")}` };
    kms.enroll("SAE_B");
    const etsi = await kms.get("/api/v1/keys/SAE_B/enc_keys?number=2", asA);
    assertEquals(etsi.status, 503);
    assertEquals(etsi.body.details, [{
      pool_bits: 0,
      requested_bits: 512,
      key_rate_bps: 0,
    }]);
    assertMatch(etsi.body.message as string, /^key pool empty/);
    assertEquals(kms.kms.link.report().blocks, 0, "no block ran meanwhile");
    const notReady = await kms.get("/readyz");
    assertEquals(notReady.status, 503);
    assertEquals(notReady.body.ready, false);
    // A block later, keys flow.
    await kms.source.emit();
    assertEquals((await kms.get("/readyz")).body, {
      ready: true,
      status: "GREEN",
      blocks: 1,
      pool_bits: 8192,
    });
    const key = await kms.post("/get_session_key", PAIR);
    assertMatch(key.body.key_hex as string, /^[0-9a-f]{64}$/);
    assertEquals(
      kms.kms.store.recentAudit(20).filter((e) => e.tag === "KEY_REFUSED")
        .map((e) => e.message),
      [
        "device=Soldier_Alpha peer=Soldier_Bravo status=GREEN reason=pool_empty qber=0.000",
        "device=Soldier_Alpha peer=Soldier_Bravo status=GREEN reason=pool_empty qber=0.000",
      ],
    );
  }, { args: ["--open"], poolBits: 0 });
});

Deno.test("force_attack: the next blocks turn the link RED, the pool is flushed and audited, nothing is added while RED, reset refills", async () => {
  await withMemoryKms(async (kms) => {
    await kms.source.emit(3);
    const attack = await kms.post("/force_attack");
    assertEquals(attack.body.status, "RED");
    assert((attack.body.qber as number) > 0.11);
    const rows = kms.kms.store.recentAudit(30).map((e) =>
      `[${e.tag}] ${e.message}`
    );
    const red = rows.findIndex((r) => r.startsWith("[LINK_RED]"));
    assert(red > 0, rows.join("\n"));
    assertEquals(
      rows[red + 1],
      `[POOL_FLUSHED] bits=${MEMORY_POOL_BITS + 3 * 8192} reason=link_red`,
    );
    assertEquals(kms.kms.pool.bits, 0);
    assertEquals(
      kms.source.postProcess,
      false,
      "RED: blocks are measured only",
    );
    // Even a key block arriving while RED adds nothing.
    kms.source.eve = { mode: "none" };
    kms.kms.link.setEve({ mode: "none" });
    kms.source.postProcess = true;
    await kms.source.emit();
    assertEquals(kms.kms.link.status, "RED");
    assertEquals(kms.kms.pool.bits, 0);
    const report = kms.kms.link.report();
    assertEquals(report.last_block?.outcome, "key");
    assertEquals(report.last_block?.secret_bits, 0, "none went to the pool");
    await kms.post("/reset");
    assertEquals(kms.source.postProcess, true);
    assertEquals(kms.source.eve, { mode: "none" });
    await kms.source.emit();
    assertEquals(kms.kms.pool.bits, 8192);
    assertEquals(kms.kms.link.status, "GREEN");
  }, { args: ["--open"] });
});

Deno.test("blocks under the previous eavesdropper (under way at a switch) are not recorded", async () => {
  await withMemoryKms(async (kms) => {
    kms.source.stopWhen = () => true;
    await kms.post("/activate_eve");
    // The source still runs the honest block it had started.
    kms.source.eve = { mode: "none" };
    await kms.source.emit();
    assertEquals(kms.kms.link.report().blocks, 0);
    assertEquals(kms.kms.link.history, []);
  }, { args: ["--open"] });
});

Deno.test("PNS: the QBER stays GREEN, the decoy estimates leave no key; activate_eve's body picks the attack", async () => {
  await withMemoryKms(async (kms) => {
    kms.source.stopWhen = () => true;
    const pns = await kms.post("/activate_eve", { mode: "pns" });
    assertEquals(pns.body, { attack_mode: true, status: "GREEN" });
    assertEquals(kms.source.eve, { mode: "pns" });
    await kms.source.emit(5);
    const { body } = await kms.get("/link_status");
    assertEquals(body.status, "GREEN");
    const link = body.link as { eve: string; last_block: { outcome: string } };
    assertEquals(link.eve, "pns");
    assertEquals(link.last_block.outcome, "insufficient_secret_bits");
    assertEquals(kms.kms.pool.bits, MEMORY_POOL_BITS, "no key from PNS blocks");
    const partial = await kms.post("/activate_eve", {
      mode: "intercept_resend",
      rate: 0.25,
    });
    assertEquals(partial.status, 200);
    assertEquals(kms.source.eve, { mode: "intercept_resend", rate: 0.25 });
    assertEquals(
      kms.kms.store.recentAudit(2).map((e) => e.message),
      [
        "actor=anonymous source=127.0.0.1:51234 mode=pns",
        "actor=anonymous source=127.0.0.1:51234 mode=intercept-resend rate=0.25",
      ],
    );
    for (
      const bad of [
        { mode: "laser" },
        { mode: "intercept_resend", rate: 0 },
        { mode: "intercept_resend", rate: "1" },
        { mode: "pns", rate: 0.5 },
      ]
    ) {
      const refused = await kms.post("/activate_eve", bad);
      assertEquals(refused.status, 400, JSON.stringify(bad));
      assertEquals(refused.body.error, "bad_field");
    }
  }, { args: ["--open"] });
});

Deno.test("a full pool: blocks are measured only, and the key rate leaves them out", async () => {
  await withMemoryKms(async (kms) => {
    await kms.source.emit();
    const rate = kms.kms.link.report().key_rate_bps;
    assertEquals(kms.kms.pool.bits, 16_384);
    assertEquals(kms.source.postProcess, false);
    await kms.source.emit(3);
    const report = kms.kms.link.report();
    assertEquals(report.last_block?.outcome, "discarded");
    assertEquals(report.key_rate_bps, rate);
    kms.kms.pool.take(8192);
    await kms.source.emit();
    assertEquals(kms.source.postProcess, true, "room again: post-processed");
  }, { args: ["--pool-capacity-bits", "16384"], poolBits: 8192 });
});

Deno.test("a failed link worker: audited, /healthz says down, no key leaves until blocks run again", async () => {
  await withMemoryKms(async (kms) => {
    kms.source.fail("Uncaught RangeError: out of memory");
    assertEquals(
      kms.kms.store.recentAudit(1)[0].message,
      'error="Uncaught RangeError: out of memory" restart_in=1000ms keys=refused',
    );
    const health = await kms.get("/healthz");
    assertEquals([health.body.ok, health.body.link], [false, "down"]);
    const refused = await kms.post("/get_session_key", PAIR);
    assertEquals(refused.body.error, "link_down");
    const asA = { authorization: `Bearer ${kms.enroll("SAE_A")}` };
    kms.enroll("SAE_B");
    const etsi = await kms.get("/api/v1/keys/SAE_B/enc_keys", asA);
    assertEquals(etsi.status, 503);
    assertMatch(etsi.body.message as string, /link is down/);
    const status = await kms.get("/api/v1/keys/SAE_B/status", asA);
    assertEquals(status.body.stored_key_count, 0, "none can be served now");
    await kms.source.emit();
    assertEquals(kms.kms.store.recentAudit(1)[0].tag, "LINK_WORKER_RESTARTED");
    assertEquals((await kms.get("/healthz")).body.link, "running");
    const key = await kms.post("/get_session_key", PAIR);
    assertMatch(key.body.key_hex as string, /^[0-9a-f]{64}$/);
  }, { args: ["--open"] });
});
