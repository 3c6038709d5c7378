import { assert, assertEquals, assertNotEquals } from "@std/assert";
import { withMemoryKms } from "./_test_memory_kms.ts";

Deno.test("one pool take per room and epoch, the same key and id for every member; a new epoch destroys the last key", async () => {
  await withMemoryKms(({ kms, log }) => {
    const before = kms.pool.bits;
    const at = { room: "squad1", epoch: 4 };
    const a = kms.roomKeys.issue(at, "Soldier_Alpha");
    const b = kms.roomKeys.issue(at, "Soldier_Bravo");
    if (!a.ok || !b.ok) throw new Error("refused");
    assertEquals(a.key, b.key);
    assertEquals(a.keyId, b.keyId);
    assertEquals(a.keyId.startsWith("squad1/4/"), true);
    assertEquals(before - kms.pool.bits, 256, "one take for both members");
    a.key.fill(0);
    assertNotEquals(b.key, a.key, "each caller holds its own copy");
    const next = kms.roomKeys.issue(
      { room: "squad1", epoch: 5 },
      "Soldier_Alpha",
    );
    if (!next.ok) throw new Error(next.message);
    assertNotEquals(next.keyId, a.keyId);
    assertEquals(kms.roomKeys.size, 1);
    const audit = log.join("\n");
    assert(audit.includes("[ROOMKEY_GENERATED] room=squad1 epoch=4"));
    assert(
      audit.includes(
        "[KEY_DESTROYED] room=squad1 epoch=4 reason=epoch_changed",
      ),
    );
    assert(!audit.includes(a.keyId), "no key id in the audit");
    assert(!audit.includes(b.key.toHex()), "no key in the audit");
    assertEquals(
      kms.store.counter("total_keys_issued"),
      3,
      "each member's key is counted",
    );
    return Promise.resolve();
  });
});

Deno.test("RED refuses room keys as pair keys and destroys every room key", async () => {
  await withMemoryKms(async ({ kms, log }) => {
    assert(kms.roomKeys.issue({ room: "r1", epoch: 1 }, "A").ok);
    assert(kms.roomKeys.issue({ room: "r2", epoch: 7 }, "B").ok);
    await kms.link.forceAttack();
    assertEquals(kms.link.status, "RED");
    assertEquals(kms.roomKeys.size, 0);
    const audit = log.join("\n");
    assert(audit.includes("[KEY_DESTROYED] room=r1 epoch=1 reason=link_red"));
    assert(audit.includes("[KEY_DESTROYED] room=r2 epoch=7 reason=link_red"));
    const refused = kms.roomKeys.issue({ room: "r1", epoch: 1 }, "A");
    assertEquals(!refused.ok && refused.reason, "link_red");
  });
});

Deno.test("an empty pool refuses a room key at once", async () => {
  await withMemoryKms(({ kms }) => {
    const refused = kms.roomKeys.issue({ room: "r", epoch: 1 }, "A");
    assertEquals(!refused.ok && refused.reason, "pool_empty");
    assertEquals(kms.roomKeys.size, 0);
    return Promise.resolve();
  }, { poolBits: 0 });
});
