import { assertEquals } from "@std/assert";
import { CloseCode } from "./connection.ts";
import { chat, setupHub } from "./_test_hub.ts";

Deno.test("Hub refuses bad frames with error codes and closes after twenty refusals in a burst", () => {
  const { hub, connect } = setupHub({ maxFrameBytes: 50 });
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
  const { hub, connect } = setupHub();
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
  const { hub, connect, advance } = setupHub({ rateLimit: 3 });
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
  const { hub, connect } = setupHub();
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
