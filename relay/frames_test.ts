import { assertEquals } from "@std/assert";
import {
  ackFrame,
  errorFrame,
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
