import { assertEquals } from "@std/assert";
import { Outbox } from "./outbox.ts";

const due = { keyId: "k1+mlkem", now: 100_000, resendAfterMs: 10_000 };

Deno.test("entries wait, oldest first, until their receipt", () => {
  const outbox = new Outbox();
  const first = outbox.add("B", { kind: "msg", text: "one" });
  const second = outbox.add("B", { kind: "msg", text: "two" });
  outbox.add("C", { kind: "msg", text: "other peer" });
  assertEquals(outbox.due("B", due).map((e) => e.mid), [first.mid, second.mid]);
  assertEquals(outbox.size(), 3);
  assertEquals(outbox.size("B"), 2);
  assertEquals(outbox.confirm(first.mid), first);
  assertEquals(outbox.confirm(first.mid), undefined);
  assertEquals(outbox.entries("B"), [second]);
});

Deno.test("a sent entry is due again after a re-key or the resend time", () => {
  const outbox = new Outbox();
  const entry = outbox.add("B", { kind: "msg", text: "one" });
  entry.sentUnder = "k1+mlkem";
  entry.sentAt = 95_000;
  assertEquals(outbox.due("B", due), []);
  assertEquals(outbox.due("B", { ...due, keyId: "k2+mlkem" }), [entry]);
  assertEquals(outbox.due("B", { ...due, now: 105_000 }), [entry]);
  assertEquals(
    outbox.due("B", { ...due, now: 105_000, resendAfterMs: Infinity }),
    [],
  );
  entry.sending = true;
  assertEquals(outbox.due("B", { ...due, keyId: "k2+mlkem" }), []);
});
