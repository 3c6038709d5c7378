import { assertEquals } from "@std/assert";
import { Inbox } from "./inbox.ts";
import type { FileChunk } from "./payload.ts";

function recordingSave() {
  const saved: { sender: string; name: string; data: Uint8Array }[] = [];
  return {
    saved,
    save: (data: Uint8Array, options: { sender: string; name: string }) => {
      saved.push({ ...options, data });
      return Promise.resolve(`downloads/${options.sender}/${options.name}`);
    },
  };
}

Deno.test("a message shows once per sender and id; every copy is receipted", async () => {
  const inbox = new Inbox();
  const message = { t: "msg" as const, mid: "m-1", text: "hello" };
  assertEquals(await inbox.receive("A", message), {
    event: { kind: "message", mid: "m-1", text: "hello" },
    receipt: { t: "receipt", mid: "m-1" },
  });
  assertEquals(await inbox.receive("A", message), {
    event: { kind: "nothing" },
    receipt: { t: "receipt", mid: "m-1" },
  });
  assertEquals((await inbox.receive("B", message)).event.kind, "message");
});

Deno.test("receipts are passed on, not receipted; a refusal keeps its reason", async () => {
  assertEquals(
    await new Inbox().receive("A", {
      t: "receipt",
      mid: "m-8",
      refused: "too big",
    }),
    { event: { kind: "receipt", mid: "m-8", refused: "too big" } },
  );
  assertEquals(await new Inbox().receive("A", { t: "receipt", mid: "m-9" }), {
    event: { kind: "receipt", mid: "m-9" },
  });
});

Deno.test("an attachment is saved once when its last chunk arrives", async () => {
  const { saved, save } = recordingSave();
  const inbox = new Inbox({ save });
  const chunk = (index: number, text: string): FileChunk => ({
    t: "file",
    mid: "f-1",
    name: "note.txt",
    chunk: index,
    chunks: 2,
    data: btoa(text),
  });
  assertEquals(await inbox.receive("A", chunk(0, "he")), {
    event: { kind: "nothing" },
  });
  assertEquals(await inbox.receive("A", chunk(1, "llo")), {
    event: {
      kind: "file_saved",
      name: "note.txt",
      bytes: 5,
      path: "downloads/A/note.txt",
    },
    receipt: { t: "receipt", mid: "f-1" },
  });
  assertEquals(await inbox.receive("A", chunk(0, "he")), {
    event: { kind: "nothing" },
    receipt: { t: "receipt", mid: "f-1" },
  });
  assertEquals(saved.length, 1);
  assertEquals(new TextDecoder().decode(saved[0].data), "hello");
});

Deno.test("a refused or unsaveable attachment is reported, and the receipt says so (again on a repeat)", async () => {
  const inbox = new Inbox({ maxFileBytes: 2 });
  const chunk = {
    t: "file" as const,
    mid: "f-2",
    name: "big.bin",
    chunk: 0,
    chunks: 1,
    data: btoa("abc"),
  };
  const tooBig = await inbox.receive("A", chunk);
  assertEquals(tooBig.event.kind, "file_failed");
  const refusal = tooBig.receipt;
  assertEquals(refusal?.mid, "f-2");
  assertEquals(typeof refusal?.refused, "string");
  assertEquals((await inbox.receive("A", chunk)).receipt, refusal);
  const failing = new Inbox({
    save: () => Promise.reject(new Error("disk full")),
  });
  const outcome = await failing.receive("A", {
    t: "file",
    mid: "f-3",
    name: "a.txt",
    chunk: 0,
    chunks: 1,
    data: "",
  });
  assertEquals(outcome, {
    event: {
      kind: "file_failed",
      name: "a.txt",
      reason: "cannot save: disk full",
    },
    receipt: { t: "receipt", mid: "f-3", refused: "cannot save: disk full" },
  });
});

Deno.test("a message shown before a restart is not shown again, and still gets its receipt", async () => {
  const inbox = new Inbox({ seen: [{ sender: "Soldier_Bravo", mid: "m-1" }] });
  const again = await inbox.receive("Soldier_Bravo", {
    t: "msg",
    mid: "m-1",
    text: "hi",
  });
  assertEquals(again.event.kind, "nothing");
  assertEquals(again.receipt, { t: "receipt", mid: "m-1" });
});
