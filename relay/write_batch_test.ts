import { assert, assertEquals } from "@std/assert";
// @ts-types="@types/ws"
import { type WebSocket as WsSocket, WebSocketServer } from "ws";
import { BatchedPeer, type Corkable } from "./write_batch.ts";

function fakeSocket(events: string[]) {
  return {
    readyState: 1,
    bufferedAmount: 0,
    send: (text: string) => events.push(text),
    close: (code?: number) => events.push(`close ${code}`),
    ping: () => events.push("ping"),
  };
}

function fakeStream(events: string[]): Corkable {
  return {
    cork: () => events.push("cork"),
    uncork: () => events.push("uncork"),
  };
}

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

Deno.test("BatchedPeer corks once per event-loop turn and keeps the order", async () => {
  const events: string[] = [];
  const peer = new BatchedPeer(fakeSocket(events), fakeStream(events));
  peer.send("1");
  peer.send("2");
  peer.ping();
  peer.close(1001);
  await nextTurn();
  peer.send("3");
  await nextTurn();
  assertEquals(events, [
    "cork",
    "1",
    "2",
    "ping",
    "close 1001",
    "uncork",
    "cork",
    "3",
    "uncork",
  ]);
});

Deno.test("BatchedPeer.flush writes the turn's frames at once, and only once", async () => {
  const events: string[] = [];
  const peer = new BatchedPeer(fakeSocket(events), fakeStream(events));
  peer.flush();
  peer.send("1");
  peer.flush();
  assertEquals(events, ["cork", "1", "uncork"]);
  peer.send("2");
  await nextTurn();
  assertEquals(events, ["cork", "1", "uncork", "cork", "2", "uncork"]);
});

Deno.test("BatchedPeer passes readyState and bufferedAmount through", () => {
  const socket = fakeSocket([]);
  const peer = new BatchedPeer(socket, fakeStream([]));
  socket.bufferedAmount = 42;
  socket.readyState = 3;
  assertEquals([peer.readyState, peer.bufferedAmount], [3, 42]);
});

Deno.test("BatchedPeer over ws: a turn's frames arrive in order, counted as buffered until written", async () => {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => server.once("listening", resolve));
  const port = (server.address() as { port: number }).port;
  const frames = Array.from({ length: 500 }, (_, i) => `frame ${i}`);
  const buffered = new Promise<number[]>((resolve) =>
    server.once("connection", (ws: WsSocket) => {
      const peer = new BatchedPeer(
        ws,
        (ws as unknown as { _socket: Corkable })._socket,
      );
      const before = peer.bufferedAmount;
      for (const frame of frames) peer.send(frame);
      // Corked bytes are not on the network yet: the hub's backpressure
      // bound (Connection.canSend) sees every one of them.
      const corked = peer.bufferedAmount;
      peer.close(1000, "done");
      resolve([before, corked]);
    })
  );
  const client = new WebSocket(`ws://127.0.0.1:${port}`);
  const received: string[] = [];
  client.onmessage = (event) => received.push(String(event.data));
  const closed = new Promise<number>((resolve) => {
    client.onclose = (event) => resolve(event.code);
  });
  const [before, corked] = await buffered;
  assertEquals(before, 0);
  assert(corked >= frames.join("").length, `buffered ${corked}`);
  assertEquals(await closed, 1000);
  assertEquals(received, frames);
  await new Promise((resolve) => server.close(resolve));
});
