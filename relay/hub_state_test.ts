import { assert, assertEquals } from "@std/assert";
import { CloseCode } from "./connection.ts";
import { DEFAULT_LIMITS } from "./config.ts";
import { HubState } from "./hub_state.ts";
import { chat, fakeConnection, setupHub } from "./_test_hub.ts";

Deno.test("Hub closes a client that lets acks pile up far past the bound", () => {
  const { hub, connect } = setupHub({
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

Deno.test("HubState closes a connection once, counting and logging it, and forgets it", () => {
  const lines: string[] = [];
  const state = new HubState({
    limits: DEFAULT_LIMITS,
    log: (line) => lines.push(line),
  });
  const { peer, conn } = fakeConnection(4);
  state.connections.set(peer, conn);
  state.devices.add("Alpha", conn);
  state.close(conn, CloseCode.goingAway, "bye");
  state.close(conn, CloseCode.stalled, "again");
  assertEquals(peer.closed, { code: 1001, reason: "bye" });
  assertEquals(lines, ["closing Alpha (#4): 1001 bye"]);
  assertEquals([...state.counters.closed], [[1001, 1]]);
  assertEquals(state.connections.size, 0);
  assertEquals(state.devices.size, 0);
});

Deno.test("HubState refuses with an error frame and closes with the given code after twenty strikes", () => {
  const state = new HubState({ limits: DEFAULT_LIMITS });
  const { peer, conn } = fakeConnection();
  const refusal = {
    code: "bad_json" as const,
    message: "frame is not valid JSON",
  };
  for (let i = 0; i < 20; i++) {
    state.refuse(conn, refusal, { closeCode: CloseCode.unsupportedData });
  }
  assertEquals(peer.take()[0], { type: "error", ...refusal });
  assertEquals(peer.closed, undefined);
  state.refuse(conn, refusal, { closeCode: CloseCode.unsupportedData });
  assertEquals(peer.closed, {
    code: CloseCode.unsupportedData,
    reason: "too many refused frames",
  });
  assertEquals(state.counters.refused.get("bad_json"), 21);
});
