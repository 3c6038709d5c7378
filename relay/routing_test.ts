import { assert, assertEquals } from "@std/assert";
import { chat, setupHub } from "./_test_hub.ts";

Deno.test("Hub forwards the frame text unchanged and acks delivered", () => {
  const { hub, connect, lines } = setupHub();
  const alpha = connect("Alpha");
  const bravo = connect("Bravo");
  const text = ` ${chat("Alpha", "Bravo", "m-1")} `;
  hub.receive(alpha, text);
  assertEquals(bravo.sent, [text]);
  assertEquals(alpha.take(), [{ type: "ack", id: "m-1", status: "delivered" }]);
  assertEquals(hub.counters.framesRelayed, 1);
  assert(lines.includes("route Alpha -> Bravo: delivered"));
  assert(!lines.some((line) => line.includes("5ec7e7")));
});

Deno.test("Hub broadcasts to the others that can take it, with one ack that counts", () => {
  const { hub, connect } = setupHub({ maxBufferedBytes: 10 });
  const alpha = connect("Alpha");
  hub.receive(alpha, chat("Alpha", "*", "lonely"));
  assertEquals(alpha.take()[0], {
    type: "ack",
    id: "lonely",
    status: "dropped",
    reason: "no_recipients",
    delivered: 0,
    dropped: 0,
  });
  const bravo = connect("Bravo");
  const charlie = connect("Charlie");
  charlie.bufferedAmount = 10;
  const text = chat("Alpha", "*", "all");
  hub.receive(alpha, text);
  assertEquals(bravo.sent, [text]);
  assertEquals(charlie.sent, []);
  assertEquals(alpha.take()[0], {
    type: "ack",
    id: "all",
    status: "delivered",
    reason: "backpressure",
    delivered: 1,
    dropped: 1,
  });
  assertEquals(hub.gauges().queueFrames, 0);
});
