import { assert, assertEquals } from "@std/assert";
import { CloseCode } from "./connection.ts";
import { chat, FakePeer, setupHub } from "./_test_hub.ts";

Deno.test("Hub refuses chat before register, spoofed senders and a second register", () => {
  const { hub, connect } = setupHub();
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
  const { hub, connect } = setupHub();
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
