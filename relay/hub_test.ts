import { assert, assertEquals } from "@std/assert";
import { DEFAULT_LIMITS, type RelayLimits } from "./config.ts";
import { CloseCode, Hub, type Peer } from "./hub.ts";

/** A socket that records what it is sent and fills up when told to. */
class FakePeer implements Peer {
  readyState = 1;
  bufferedAmount = 0;
  /** While true, every frame sent stays in bufferedAmount. */
  stuck = false;
  sent: string[] = [];
  closed?: { code?: number; reason?: string };

  send(text: string): void {
    if (this.readyState !== 1) throw new Error("send on a closed socket");
    this.sent.push(text);
    if (this.stuck) this.bufferedAmount += text.length;
  }

  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
    this.readyState = 2;
  }

  /** Parsed frames sent since the last call. */
  take(): Record<string, unknown>[] {
    return this.sent.splice(0).map((text) => JSON.parse(text));
  }

  /** Drains the buffer, as a client that reads again. */
  unstick(): void {
    this.stuck = false;
    this.bufferedAmount = 0;
  }
}

function setup(limits: Partial<RelayLimits> = {}) {
  let now = 0;
  const lines: string[] = [];
  const hub = new Hub({
    limits: { ...DEFAULT_LIMITS, ...limits },
    log: (line) => lines.push(line),
    now: () => now,
  });
  const connect = (deviceId?: string) => {
    const peer = new FakePeer();
    hub.connect(peer, "127.0.0.1:1");
    if (deviceId) {
      hub.receive(
        peer,
        JSON.stringify({ type: "register", device_id: deviceId }),
      );
      const [registered] = peer.take();
      assertEquals(registered.type, "registered", JSON.stringify(registered));
    }
    return peer;
  };
  return {
    hub,
    lines,
    connect,
    advance: (ms: number) => {
      now += ms;
      hub.tick();
    },
  };
}

function chat(
  sender: string,
  recipient: string,
  id?: string,
  extra: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    type: "chat",
    sender,
    recipient,
    nonce: "11".repeat(12),
    ciphertext: "5ec7e7",
    id,
    ...extra,
  });
}

Deno.test("Hub forwards the frame text unchanged and acks delivered", () => {
  const { hub, connect, lines } = setup();
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

Deno.test("Hub refuses chat before register, spoofed senders and a second register", () => {
  const { hub, connect } = setup();
  const anonymous = connect();
  hub.receive(anonymous, chat("Alpha", "Bravo", "m-1"));
  assertEquals(anonymous.take()[0].code, "not_registered");
  const alpha = connect("Alpha");
  const bravo = connect("Bravo");
  hub.receive(alpha, chat("Bravo", "Alpha", "m-2"));
  assertEquals(alpha.take()[0].code, "spoofed_sender");
  hub.receive(alpha, JSON.stringify({ type: "register", device_id: "Other" }));
  assertEquals(alpha.take()[0].code, "duplicate_device");
  assertEquals(bravo.take(), []);
  assertEquals(hub.counters.refused.get("spoofed_sender"), 1);
});

Deno.test("Hub refuses a device id that is online, unless its socket is dead or the resume token matches", () => {
  const { hub, connect } = setup();
  const first = new FakePeer();
  hub.connect(first, "a");
  hub.receive(first, JSON.stringify({ type: "register", device_id: "Alpha" }));
  const { resume } = first.take()[0];
  const second = connect();
  hub.receive(second, JSON.stringify({ type: "register", device_id: "Alpha" }));
  assertEquals(second.take()[0].code, "duplicate_device");

  hub.receive(
    second,
    JSON.stringify({ type: "register", device_id: "Alpha", resume }),
  );
  const registered = second.take()[0];
  assertEquals(registered.type, "registered");
  assert(registered.resume !== resume, "a fresh token for the new socket");
  assertEquals(first.closed, {
    code: CloseCode.replaced,
    reason: "replaced by a new connection",
  });
  // The old socket's close event arrives later and changes nothing.
  hub.disconnect(first, 4001);
  assertEquals(hub.gauges().devices, 1);

  second.readyState = 3;
  const third = connect();
  hub.receive(third, JSON.stringify({ type: "register", device_id: "Alpha" }));
  assertEquals(third.take()[0].type, "registered");
});

Deno.test("Hub queues for an offline device and delivers in order on register, telling the sender", () => {
  const { hub, connect, lines } = setup();
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
  const { hub, connect, advance } = setup({ maxBufferedBytes: 100 });
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
  const { hub, connect, advance } = setup({
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
  const { hub, connect, advance } = setup({ queueMaxAgeMs: 1000 });
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

Deno.test("Hub broadcasts to the others that can take it, with one ack that counts", () => {
  const { hub, connect } = setup({ maxBufferedBytes: 10 });
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

Deno.test("Hub sends presence on tick, once per change, and later to a peer that was full", () => {
  const { hub, connect, advance } = setup({ maxBufferedBytes: 10 });
  const alpha = connect("Alpha");
  advance(25);
  assertEquals(
    alpha.take(),
    [],
    "Alpha's registered frame already listed Alpha",
  );
  const bravo = connect("Bravo");
  const charlie = connect("Charlie");
  alpha.bufferedAmount = 10;
  advance(25);
  assertEquals(alpha.take(), []);
  assertEquals(bravo.take(), [{
    type: "presence",
    online: ["Alpha", "Bravo", "Charlie"],
  }]);
  assertEquals(charlie.take(), []);
  hub.disconnect(charlie, 1000);
  advance(25);
  assertEquals(bravo.take(), [{
    type: "presence",
    online: ["Alpha", "Bravo"],
  }]);
  alpha.bufferedAmount = 0;
  advance(25);
  // Only the newest list, not every one it missed.
  assertEquals(alpha.take(), [{
    type: "presence",
    online: ["Alpha", "Bravo"],
  }]);
  advance(25);
  assertEquals([...alpha.take(), ...bravo.take()], []);
});

Deno.test("Hub closes a socket whose buffer stays above the bound for the idle timeout (4002)", () => {
  const { hub, connect, advance } = setup({
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

Deno.test("Hub closes a client that lets acks pile up far past the bound", () => {
  const { hub, connect } = setup({
    maxBufferedBytes: 100,
    maxFrameBytes: 1000,
  });
  const alpha = connect("Alpha");
  connect("Bravo");
  alpha.stuck = true;
  for (let i = 0; alpha.readyState === 1; i++) {
    assert(i < 100, "never closed");
    hub.receive(alpha, chat("Alpha", "Bravo", `m-${i}`));
  }
  assertEquals(alpha.closed?.code, CloseCode.stalled);
  assert(alpha.bufferedAmount <= 2 * 100 + 1000 + 100);
});

Deno.test("Hub refuses bad frames with error codes and closes after twenty refusals in a burst", () => {
  const { hub, connect } = setup({ maxFrameBytes: 50 });
  const peer = connect();
  const cases: [unknown, string][] = [
    [new ArrayBuffer(2), "binary_frame"],
    ["x".repeat(51), "frame_too_large"],
    ["nope", "bad_json"],
    ['{"type":"pong","id":"p"}', "unknown_type"],
    ['{"type":"ping"}', "missing_field"],
    ['{"type":"register"}', "missing_field"],
    ['{"type":"register","device_id":"a","resume":1}', "bad_field"],
  ];
  for (const [data, code] of cases) {
    hub.receive(peer, data);
    assertEquals(peer.take()[0].code, code);
  }
  assertEquals(peer.closed, undefined);
  for (let i = 0; i < 13; i++) hub.receive(peer, "x".repeat(51));
  assertEquals(peer.closed, undefined);
  hub.receive(peer, "x".repeat(51));
  assertEquals(peer.closed?.code, CloseCode.messageTooBig);
  assertEquals(hub.connections, 0);
  hub.receive(peer, "nope");
  assertEquals(peer.take().length, 14, "nothing after the close");
});

Deno.test("Hub answers a registered client's ping with a pong, and nobody else sees it", () => {
  const { hub, connect } = setup();
  const stranger = connect();
  hub.receive(stranger, '{"type":"ping","id":"p-0"}');
  assertEquals(stranger.take()[0].code, "not_registered");
  const alpha = connect("Alpha");
  const bravo = connect("Bravo");
  bravo.take();
  hub.receive(alpha, '{"type":"ping","id":"p-1"}');
  assertEquals(alpha.take(), [{ type: "pong", id: "p-1" }]);
  assertEquals(bravo.take(), []);
});

Deno.test("Hub drops frames over the rate limit with an ack, or an error frame without an id", () => {
  const { hub, connect, advance } = setup({ rateLimit: 3 });
  const alpha = connect("Alpha");
  connect("Bravo");
  for (const id of ["1", "2", "3"]) {
    hub.receive(alpha, chat("Alpha", "Bravo", id));
  }
  hub.receive(alpha, chat("Alpha", "Bravo"));
  assertEquals(
    alpha.take().map((f) => f.reason ?? f.status ?? f.code),
    ["delivered", "delivered", "rate_limited", "rate_limited"],
  );
  advance(1000);
  hub.receive(alpha, chat("Alpha", "Bravo", "4"));
  assertEquals(alpha.take().find((f) => f.type === "ack")?.status, "delivered");
});

Deno.test("Hub gauges count connections, devices, queues and send buffers; closeAll closes everyone", () => {
  const { hub, connect } = setup();
  const alpha = connect("Alpha");
  const anonymous = connect();
  anonymous.bufferedAmount = 7;
  hub.receive(alpha, chat("Alpha", "Bravo"));
  const gauges = hub.gauges();
  assertEquals(gauges.connections, 2);
  assertEquals(gauges.devices, 1);
  assertEquals(gauges.queueFrames, 1);
  assertEquals(gauges.queueBytes, chat("Alpha", "Bravo").length);
  assertEquals(gauges.bufferedBytes, 7);
  hub.closeAll(CloseCode.goingAway, "bye");
  assertEquals(alpha.closed, { code: 1001, reason: "bye" });
  assertEquals(anonymous.closed, { code: 1001, reason: "bye" });
  assertEquals(hub.connections, 0);
  assertEquals(hub.counters.closed.get(1001), 2);
});
