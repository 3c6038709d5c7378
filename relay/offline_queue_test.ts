import { assertEquals } from "@std/assert";
import { OfflineQueues, type QueuedFrame } from "./offline_queue.ts";

function frame(text: string, queuedAt = 0): QueuedFrame {
  return { text, bytes: text.length, sender: "a", id: text, queuedAt };
}

const limits = { maxFrames: 3, maxBytes: 10, totalBytes: 15, maxAgeMs: 100 };

Deno.test("OfflineQueues keeps each recipient's frames in order", () => {
  const queues = new OfflineQueues(limits);
  for (const text of ["1", "2", "3"]) {
    assertEquals(queues.push("b", frame(text)), undefined);
  }
  queues.push("c", frame("x"));
  assertEquals([queues.size("b"), queues.size("c"), queues.size("d")], [
    3,
    1,
    0,
  ]);
  assertEquals([queues.totalFrames, queues.totalBytes], [4, 4]);
  assertEquals(
    [queues.shift("b"), queues.shift("b"), queues.shift("b")].map((f) =>
      f?.text
    ),
    ["1", "2", "3"],
  );
  assertEquals(queues.shift("b"), undefined);
  assertEquals([queues.totalFrames, queues.totalBytes], [1, 1]);
});

Deno.test("OfflineQueues refuses what exceeds a count, a recipient's bytes or all bytes", () => {
  const queues = new OfflineQueues(limits);
  for (const text of ["1", "2", "3"]) queues.push("b", frame(text));
  assertEquals(queues.push("b", frame("4")), "queue_full");
  assertEquals(queues.push("c", frame("0123456789")), undefined);
  assertEquals(queues.push("c", frame("x")), "queue_bytes");
  assertEquals(queues.push("d", frame("0123")), "relay_full");
  assertEquals(queues.push("d", frame("01")), undefined);
  assertEquals(queues.totalBytes, 15);
});

Deno.test("OfflineQueues.expire() removes frames as old as the limit, oldest first", () => {
  const queues = new OfflineQueues(limits);
  queues.push("b", frame("1", 0));
  queues.push("b", frame("2", 50));
  queues.push("c", frame("3", 10));
  assertEquals(queues.expire(99), []);
  assertEquals(
    queues.expire(110).map(({ recipient, frame }) => [recipient, frame.text]),
    [["b", "1"], ["c", "3"]],
  );
  assertEquals([queues.size("b"), queues.size("c")], [1, 0]);
  assertEquals(queues.expire(150).length, 1);
  assertEquals([queues.totalFrames, queues.totalBytes], [0, 0]);
});

Deno.test("OfflineQueues drains a long queue in order", () => {
  const queues = new OfflineQueues({
    maxFrames: 5000,
    maxBytes: 1e6,
    totalBytes: 1e6,
    maxAgeMs: 1000,
  });
  for (let i = 0; i < 5000; i++) queues.push("b", frame(String(i)));
  for (let i = 0; i < 3000; i++) {
    assertEquals(queues.shift("b")?.text, String(i));
  }
  for (let i = 5000; i < 7000; i++) queues.push("b", frame(String(i)));
  for (let i = 3000; i < 7000; i++) {
    assertEquals(queues.shift("b")?.text, String(i));
  }
  assertEquals(queues.size("b"), 0);
});
