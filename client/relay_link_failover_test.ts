import { assertEquals } from "@std/assert";
import { freePort } from "../common/service_process.ts";
import { waitUntil } from "../testing/wait.ts";
import { RelayLink } from "./relay_link.ts";

/**
 * A relay that registers everyone (resume token `NAME-N`) and acks every
 * frame with an id, until told to go silent or to stop.
 */
function fakeRelay(name: string) {
  const registers: Record<string, unknown>[] = [];
  const sockets: WebSocket[] = [];
  const state = { silent: false };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request);
      sockets.push(socket);
      socket.onmessage = (event) => {
        if (state.silent) return;
        const frame = JSON.parse(event.data);
        if (frame.type === "register") {
          registers.push(frame);
          socket.send(JSON.stringify({
            type: "registered",
            device_id: frame.device_id,
            online: [frame.device_id],
            resume: `${name}-${registers.length}`,
          }));
        } else if (frame.id !== undefined) {
          socket.send(
            JSON.stringify({ type: "ack", id: frame.id, status: "delivered" }),
          );
        }
      };
      return response;
    },
  );
  return {
    url: `ws://127.0.0.1:${server.addr.port}`,
    registers,
    state,
    /** Stops listening and drops every connection, as a dead process. */
    async stop() {
      for (const socket of sockets) socket.close(1011, "gone");
      await server.shutdown();
    },
    async [Symbol.asyncDispose]() {
      await server.shutdown().catch(() => {});
    },
  };
}

/** A link over `urls` whose events are recorded. */
function recordedLink(urls: string[], answerTimeoutMs = 6000) {
  const events: string[] = [];
  const link = new RelayLink(urls, {
    deviceId: "Soldier_Alpha",
    backoff: { initialMs: 20, maxMs: 100 },
    answerTimeoutMs,
  });
  link.start({
    onUp: ({ reconnected, movedTo }) =>
      events.push(
        `up ${reconnected ? "again" : "first"}` +
          (movedTo === undefined ? "" : ` on ${movedTo}`),
      ),
    onDown: ({ wasUp, url }) =>
      events.push(`down ${wasUp ? "was up" : "never up"} on ${url}`),
    onFrame: () => {},
  });
  const until = (done: () => boolean) =>
    waitUntil(done, () => `the link; events so far: ${events}`, {
      timeoutMs: 10_000,
    });
  return { link, events, until };
}

Deno.test("a link whose relay dies moves to the next one at once, with its resume token", async () => {
  await using a = fakeRelay("a");
  await using b = fakeRelay("b");
  const { link, events, until } = recordedLink([a.url, b.url]);
  try {
    await until(() => link.state === "up");
    assertEquals(link.url, a.url);
    await a.stop();
    await until(() => events.length === 3);
    assertEquals(events, [
      "up first",
      `down was up on ${a.url}`,
      `up again on ${b.url}`,
    ]);
    assertEquals(link.url, b.url);
    assertEquals(b.registers, [
      { type: "register", device_id: "Soldier_Alpha", resume: "a-1" },
    ]);
  } finally {
    await link.close();
  }
});

Deno.test("a relay that stops answering is left for the next; a dead first one is skipped", async () => {
  const dead = `ws://127.0.0.1:${freePort()}`;
  await using a = fakeRelay("a");
  await using b = fakeRelay("b");
  // The answer timeout also bounds connecting and registering: short enough
  // to keep the test quick, long enough that a busy machine's pause while
  // registering on a is not taken for a silent relay.
  const { link, events, until } = recordedLink([dead, a.url, b.url], 1500);
  try {
    await until(() => link.state === "up");
    assertEquals(link.url, a.url);
    a.state.silent = true;
    link.send({ type: "chat", id: "m-1" });
    await until(() => link.url === b.url && link.state === "up");
    assertEquals(events, [
      `down never up on ${dead}`,
      "up first",
      `down was up on ${a.url}`,
      `up again on ${b.url}`,
    ]);
    assertEquals(b.registers.map((frame) => frame.resume), ["a-1"]);
    // Back to the first of the list once b is gone too: round and round.
    await b.stop();
    await until(() => events.at(-1) === `down never up on ${dead}`);
  } finally {
    await link.close();
  }
});
