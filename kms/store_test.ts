import { assertEquals } from "@std/assert";
import { DatabaseSync } from "node:sqlite";
import { KmsStore } from "./store.ts";

Deno.test("a database from before roles and identity keys opens: its tokens become devices without a bound key", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/kms.db`;
  try {
    const old = new DatabaseSync(path);
    old.exec(`CREATE TABLE sae_tokens (
      sae_id TEXT PRIMARY KEY,
      token_hash TEXT NOT NULL UNIQUE,
      enrolled_at TEXT NOT NULL
    );
    INSERT INTO sae_tokens VALUES ('SAE_A', 'hash-a', '2026-01-01T00:00:00.000Z');`);
    old.close();
    const store = new KmsStore(path);
    assertEquals(store.enrollmentForTokenHash("hash-a"), {
      name: "SAE_A",
      role: "device",
      publicKey: null,
    });
    assertEquals(store.bindPublicKey("SAE_A", "key-1"), {
      ok: true,
      firstUse: true,
    });
    store.close();
    // Opening again migrates nothing twice.
    const again = new KmsStore(path);
    assertEquals(again.enrollment("SAE_A")?.publicKey, "key-1");
    again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("binding: first use binds, the same key passes, another is a mismatch, re-enrolling forgets", () => {
  const store = new KmsStore(":memory:");
  assertEquals(store.bindPublicKey("Nobody", "k"), {
    ok: false,
    reason: "not_enrolled",
  });
  store.enrollSae("Soldier_Alpha", "h1");
  assertEquals(store.bindPublicKey("Soldier_Alpha", "k1"), {
    ok: true,
    firstUse: true,
  });
  assertEquals(store.bindPublicKey("Soldier_Alpha", "k1"), {
    ok: true,
    firstUse: false,
  });
  assertEquals(store.bindPublicKey("Soldier_Alpha", "k2"), {
    ok: false,
    reason: "key_mismatch",
  });
  store.enrollSae("Soldier_Alpha", "h2", { role: "operator" });
  assertEquals(store.enrollment("Soldier_Alpha"), {
    name: "Soldier_Alpha",
    role: "operator",
    publicKey: null,
  });
  assertEquals(store.enrollmentForTokenHash("h1"), undefined);
  store.close();
});

Deno.test("prune keeps the newest rows of each table and drops rows past their age", () => {
  const store = new KmsStore(":memory:");
  for (let i = 0; i < 30; i++) {
    store.audit("T", `n=${i}`);
    store.addQber(i / 100, false);
    store.addLedger({
      keyId: `k${i}`,
      device: "A",
      peer: "B",
      qber: 0.01,
      kind: "pair",
    });
  }
  assertEquals(store.prune({ maxAgeDays: 30, maxRows: 10 }), 60);
  assertEquals(store.recentAudit(100).map((e) => e.message)[0], "n=20");
  assertEquals(store.recentAudit(100).length, 10);
  assertEquals(store.recentQber(100).length, 10);
  assertEquals(store.recentQber(100)[0], 0.2);
  assertEquals(store.ledgerSize(), 10);
  assertEquals(store.prune({ maxAgeDays: 30, maxRows: 10 }), 0);
  const later = new Date(Date.now() + 31 * 86_400_000);
  assertEquals(store.prune({ maxAgeDays: 30, maxRows: 10 }, later), 30);
  assertEquals(
    [
      store.recentAudit(100).length,
      store.recentQber(100).length,
      store.ledgerSize(),
    ],
    [0, 0, 0],
  );
  store.close();
});
