import { assertEquals } from "@std/assert";
import { Heartbeat } from "./heartbeat.ts";

Deno.test("Heartbeat pings after half the timeout once, and any sign of life starts it over", () => {
  const idle: string[] = [];
  const pings: string[] = [];
  const socket = (name: string) => ({ name, ping: () => pings.push(name) });
  const a = socket("a");
  const b = socket("b");
  const heartbeat = new Heartbeat<ReturnType<typeof socket>>({
    idleMs: 1000,
    onIdle: (s) => idle.push(s.name),
  });
  heartbeat.seen(a, 0);
  heartbeat.seen(b, 0);
  heartbeat.sweep(500);
  heartbeat.sweep(700);
  assertEquals(pings, ["a", "b"]);
  // a answers (a pong or any frame); b stays silent.
  heartbeat.seen(a, 800);
  heartbeat.sweep(1000);
  assertEquals(idle, ["b"]);
  heartbeat.sweep(1300);
  assertEquals(pings, ["a", "b", "a"]);
  heartbeat.delete(a);
  heartbeat.sweep(5000);
  assertEquals(idle, ["b"], "a closed socket is forgotten");
});
