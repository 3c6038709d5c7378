import { assertEquals } from "@std/assert";
import { OfflineQueues, type QueuedFrame } from "./offline_queue.ts";

function frame(text: string, queuedAt = 0): QueuedFrame {
  return { text, bytes: text.length, sender: "a", id: text, queuedAt };
}

// One sender may take everything here: its share is the next test's subject.
const limits = {
  maxFrames: 3,
  maxBytes: 10,
  totalBytes: 15,
  maxAgeMs: 100,
  senderShare: 1,
};

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

Deno.test("OfflineQueues keeps one sender within its share of each limit, so others' frames still fit", () => {
  const queues = new OfflineQueues({
    maxFrames: 8,
    maxBytes: 40,
    totalBytes: 80,
    maxAgeMs: 100,
    senderShare: 0.25,
  });
  const from = (sender: string, text: string): QueuedFrame => ({
    text,
    bytes: text.length,
    sender,
    queuedAt: 0,
  });
  // A quarter of 8 frames per recipient.
  assertEquals(queues.push("b", from("m", "1")), undefined);
  assertEquals(queues.push("b", from("m", "2")), undefined);
  assertEquals(queues.push("b", from("m", "3")), "queue_full");
  // A quarter of 40 bytes per recipient.
  assertEquals(queues.push("c", from("m", "0123456789")), undefined);
  assertEquals(queues.push("c", from("m", "x")), "queue_bytes");
  // A quarter of 80 bytes in all: 12 held, 8 more fit, then no more.
  assertEquals(queues.push("d", from("m", "01234567")), undefined);
  assertEquals(queues.push("e", from("m", "0")), "relay_full");
  // Everyone else still gets in, and the relay's own acks count for nobody.
  assertEquals(queues.push("b", from("a", "hello")), undefined);
  assertEquals(
    queues.push("e", { text: "ack", bytes: 3, queuedAt: 0 }),
    undefined,
  );
  // What leaves the queues is the sender's to use again.
  queues.shift("d");
  assertEquals(queues.push("e", from("m", "0")), undefined);
  assertEquals(queues.totalBytes, 2 + 10 + 5 + 3 + 1);
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
    senderShare: 1,
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
