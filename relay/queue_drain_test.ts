import { assert, assertEquals } from "@std/assert";
import { CloseCode } from "./connection.ts";
import { chat, FakePeer, setupHub } from "./_test_hub.ts";

Deno.test("Hub queues for an offline device and delivers in order on register, telling the sender", () => {
  const { hub, connect, lines } = setupHub();
  const alpha = connect("Alpha");
  const texts = ["q-1", "q-2", "q-3"].map((id) => chat("Alpha", "Bravo", id));
  for (const text of texts) hub.receive(alpha, text);
  hub.receive(alpha, chat("Alpha", "Bravo"));
  assertEquals(
    alpha.take().map((ack) => [ack.id, ack.status, ack.reason]),
    [
      ["q-1", "queued", "offline"],
      ["q-2", "queued", "offline"],
      ["q-3", "queued", "offline"],
    ],
  );
  assert(
    lines.includes("WARNING: Bravo is offline; holding the frame from Alpha"),
  );
  const bravo = new FakePeer();
  hub.connect(bravo, "b");
  hub.receive(bravo, JSON.stringify({ type: "register", device_id: "Bravo" }));
  assertEquals(bravo.sent.slice(1), [...texts, chat("Alpha", "Bravo")]);
  assertEquals(
    alpha.take().map((ack) => [ack.id, ack.status]),
    [["q-1", "delivered"], ["q-2", "delivered"], ["q-3", "delivered"]],
  );
  assertEquals(hub.gauges().queueFrames, 0);
});

Deno.test("Hub queues behind a full send buffer, keeps order, and drains on tick", () => {
  const { hub, connect, advance } = setupHub({ maxBufferedBytes: 100 });
  const alpha = connect("Alpha");
  const bravo = connect("Bravo");
  bravo.stuck = true;
  for (const id of ["b-1", "b-2", "b-3"]) {
    hub.receive(alpha, chat("Alpha", "Bravo", id));
  }
  assertEquals(
    alpha.take().map((ack) => [ack.id, ack.status, ack.reason]),
    [
      ["b-1", "delivered", undefined],
      ["b-2", "queued", "backpressure"],
      ["b-3", "queued", "backpressure"],
    ],
  );
  bravo.unstick();
  // A frame sent now would overtake the queue; it joins it instead.
  hub.receive(alpha, chat("Alpha", "Bravo", "b-4"));
  assertEquals(alpha.take()[0].status, "queued");
  advance(25);
  assertEquals(
    bravo.take().filter((f) => f.type === "chat").map((f) => f.id),
    ["b-1", "b-2", "b-3", "b-4"],
  );
  assertEquals(
    alpha.take().filter((f) => f.type === "ack").map((ack) => [
      ack.id,
      ack.status,
    ]),
    [["b-2", "delivered"], ["b-3", "delivered"], ["b-4", "delivered"]],
  );
});

Deno.test("Hub drops with a reason when a queue is full, and expires old frames with an ack", () => {
  const { hub, connect, advance } = setupHub({
    queueMaxFrames: 1,
    queueMaxAgeMs: 1000,
  });
  const alpha = connect("Alpha");
  hub.receive(alpha, chat("Alpha", "Bravo", "x-1"));
  hub.receive(alpha, chat("Alpha", "Bravo", "x-2"));
  assertEquals(
    alpha.take().map((ack) => [ack.status, ack.reason]),
    [["queued", "offline"], ["dropped", "queue_full"]],
  );
  advance(999);
  assertEquals(alpha.take(), []);
  advance(100);
  assertEquals(alpha.take(), [{
    type: "ack",
    id: "x-1",
    status: "dropped",
    reason: "expired",
  }]);
  assertEquals(hub.counters.dropped.get("expired"), 1);
  assertEquals(hub.counters.dropped.get("queue_full"), 1);
});

Deno.test("Hub keeps an ack for a sender that is offline until it registers again", () => {
  const { hub, connect, advance } = setupHub({ queueMaxAgeMs: 1000 });
  const alpha = connect("Alpha");
  hub.receive(alpha, chat("Alpha", "Bravo", "late"));
  hub.disconnect(alpha, 1000);
  const bravo = connect();
  hub.receive(bravo, JSON.stringify({ type: "register", device_id: "Bravo" }));
  // Bravo got the frame while Alpha was away: the delivered ack waits.
  assertEquals(bravo.take().filter((f) => f.type === "chat").length, 1);
  const back = new FakePeer();
  hub.connect(back, "a");
  hub.receive(back, JSON.stringify({ type: "register", device_id: "Alpha" }));
  assertEquals(back.take().slice(1), [{
    type: "ack",
    id: "late",
    status: "delivered",
  }]);
  advance(2000);
  assertEquals(hub.gauges().queueFrames, 0);
});

Deno.test("Hub closes a socket whose buffer stays above the bound for the idle timeout (4003)", () => {
  const { hub, connect, advance } = setupHub({
    maxBufferedBytes: 100,
    idleTimeoutSeconds: 2,
  });
  const alpha = connect("Alpha");
  const slow = connect("Slow");
  slow.stuck = true;
  hub.receive(alpha, chat("Alpha", "Slow", "1", { pad: "x".repeat(200) }));
  hub.receive(alpha, chat("Alpha", "Slow", "2"));
  advance(25);
  advance(1000);
  assertEquals(slow.closed, undefined);
  advance(1000);
  assertEquals(slow.closed, { code: CloseCode.stalled, reason: "not reading" });
  assertEquals(hub.gauges().devices, 1);
  assertEquals(
    hub.gauges().queueFrames,
    1,
    "the frame waits as for any offline device",
  );
});
