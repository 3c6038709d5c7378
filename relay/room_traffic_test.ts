import { assertEquals } from "@std/assert";
import { RoomTraffic, SUMMARY_INTERVAL_MS } from "./room_traffic.ts";

Deno.test("no traffic, no summary; a summary at most every 10 s", () => {
  const lines: string[] = [];
  const traffic = new RoomTraffic((line) => lines.push(line));
  traffic.flush(0);
  assertEquals(lines, []);
  traffic.count("a", 2);
  traffic.flush(1);
  traffic.count("b", 0);
  traffic.flush(SUMMARY_INTERVAL_MS);
  traffic.flush(SUMMARY_INTERVAL_MS + 1);
  traffic.flush(3 * SUMMARY_INTERVAL_MS);
  assertEquals(lines, [
    "[MSG_RELAYED] rooms=1 frames=1 copies=2",
    "[MSG_RELAYED] rooms=1 frames=1 copies=0",
  ]);
});
