import { assertEquals } from "@std/assert";
import { type SseChannel, sseResponse } from "./sse.ts";

Deno.test("a reader that stops reading is dropped once its buffer is full, and cleaned up once", async () => {
  let channel!: SseChannel;
  let cleanups = 0;
  const response = sseResponse((c) => {
    channel = c;
    return () => cleanups++;
  }, { bufferedEvents: 3, keepaliveMs: 60_000 });
  const sent = [];
  for (let i = 0; i < 10; i++) sent.push(channel.send({ data: String(i) }));
  // The buffer, plus the one event the encoding pipe has already pulled.
  const accepted = sent.indexOf(false);
  assertEquals(accepted, 4);
  assertEquals(sent.slice(accepted).every((ok) => !ok), true);
  assertEquals(cleanups, 1);
  // What was accepted before the drop still reaches the reader.
  const expected = [0, 1, 2, 3].map((i) => `data:${i}\n\n`).join("");
  assertEquals(await response.text(), expected);
  channel.close();
  assertEquals(cleanups, 1);
});

Deno.test("keepalive comments go out while the stream is quiet", async () => {
  const response = sseResponse(() => {}, { keepaliveMs: 5 });
  const reader = response.body!.getReader();
  const { value } = await reader.read();
  assertEquals(new TextDecoder().decode(value), ":keepalive\n\n");
  await reader.cancel();
});

Deno.test("a reader that goes away runs the clean-up", async () => {
  const cleaned = Promise.withResolvers<void>();
  const response = sseResponse(() => cleaned.resolve);
  await response.body!.cancel();
  await cleaned.promise;
});
