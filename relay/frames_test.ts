import { assertEquals } from "@std/assert";
import { parseServerFrame } from "../protocol/mod.ts";
import {
  ackFrame,
  errorFrame,
  pongFrame,
  presenceFrame,
  registeredFrame,
} from "./frames.ts";

Deno.test("the relay's frames serialise to the protocol's shapes", () => {
  assertEquals(
    JSON.parse(registeredFrame("a", { online: ["a", "b"], resume: "t" })),
    { type: "registered", device_id: "a", online: ["a", "b"], resume: "t" },
  );
  assertEquals(JSON.parse(presenceFrame([])), { type: "presence", online: [] });
  assertEquals(
    JSON.parse(
      ackFrame({ type: "ack", id: "m", status: "queued", reason: "offline" }),
    ),
    { type: "ack", id: "m", status: "queued", reason: "offline" },
  );
  assertEquals(
    ackFrame({ type: "ack", id: "m", status: "delivered", reason: undefined }),
    '{"type":"ack","id":"m","status":"delivered"}',
  );
  assertEquals(
    JSON.parse(errorFrame("spoofed_sender", 'say "hi"')),
    { type: "error", code: "spoofed_sender", message: 'say "hi"' },
  );
});

Deno.test("clients read every frame the relay makes", () => {
  const texts = [
    registeredFrame("a", { online: ["a"], resume: "t" }),
    presenceFrame(["a", "b"]),
    ackFrame({ type: "ack", id: "m", status: "dropped", reason: "expired" }),
    ackFrame({
      type: "ack",
      id: "m",
      status: "delivered",
      delivered: 2,
      dropped: 0,
    }),
    pongFrame("p-1"),
    errorFrame("rate_limited", "slow down"),
  ];
  for (const text of texts) {
    assertEquals(parseServerFrame(text), {
      ok: true,
      frame: JSON.parse(text),
    });
  }
});
