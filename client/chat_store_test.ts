import { assert, assertEquals, assertRejects } from "@std/assert";
import { CHAT_FILE, chatKey, ChatStore } from "./chat_store.ts";

async function tempStore(
  deviceId = "Soldier_Alpha",
  pkcs8 = new Uint8Array(48),
) {
  const dir = await Deno.makeTempDir();
  const key = await chatKey(pkcs8, deviceId);
  return { dir, key, store: await ChatStore.open(dir, { key, deviceId }) };
}

Deno.test("history and the outbox come back; the file is not plaintext and is 0600", async () => {
  const { dir, key, store } = await tempStore();
  store.addHistory({
    sender: "Soldier_Bravo",
    recipient: "Soldier_Alpha",
    text: "grid 42 secret",
    writtenAt: 5,
  });
  store.setOutbox([{
    mid: "m-1",
    peer: "Soldier_Bravo",
    text: "undelivered secret",
    writtenAt: 6,
    n: 3,
  }], { Soldier_Bravo: 3 });
  await store.saved();
  const bytes = await Deno.readFile(`${dir}/${CHAT_FILE}`);
  const asText = new TextDecoder("latin1").decode(bytes);
  assert(!asText.includes("secret"), "plaintext on disk");
  assert(!asText.includes("Soldier"), "plaintext on disk");
  assertEquals((await Deno.stat(`${dir}/${CHAT_FILE}`)).mode! & 0o777, 0o600);
  const again = await ChatStore.open(dir, { key, deviceId: "Soldier_Alpha" });
  assertEquals(again.chat.history[0].text, "grid 42 secret");
  assertEquals(again.chat.outbox[0].text, "undelivered secret");
  assertEquals(again.chat.lineNumbers, { Soldier_Bravo: 3 });
  await Deno.remove(dir, { recursive: true });
});

Deno.test("another identity's key, or an altered file, is refused with what to do", async () => {
  const { dir, store } = await tempStore();
  store.addHistory({ sender: "a", recipient: "b", text: "x", writtenAt: 1 });
  await store.saved();
  const other = await chatKey(new Uint8Array(48).fill(1), "Soldier_Alpha");
  await assertRejects(
    () => ChatStore.open(dir, { key: other, deviceId: "Soldier_Alpha" }),
    Error,
    "cannot be decrypted with this device's identity key",
  );
  const bytes = await Deno.readFile(`${dir}/${CHAT_FILE}`);
  bytes[bytes.length - 1] ^= 1;
  await Deno.writeFile(`${dir}/${CHAT_FILE}`, bytes);
  const key = await chatKey(new Uint8Array(48), "Soldier_Alpha");
  await assertRejects(
    () => ChatStore.open(dir, { key, deviceId: "Soldier_Alpha" }),
    Error,
    "move it away",
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("history keeps the newest lines only", async () => {
  const { dir, store } = await tempStore();
  for (let i = 0; i < 1005; i++) {
    store.addHistory({
      sender: "a",
      recipient: "b",
      text: `${i}`,
      writtenAt: i,
    });
  }
  await store.saved();
  assertEquals(store.chat.history.length, 1000);
  assertEquals(store.chat.history[0].text, "5");
  await Deno.remove(dir, { recursive: true });
});
