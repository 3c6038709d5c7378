/**
 * Test helper: a hostile relay in front of the real one. It passes frames
 * both ways, but can flip a hex digit of a chat packet's ciphertext or
 * deliver a packet twice on its way to a client, as a compromised relay
 * could.
 *
 * @module
 */

/** What to do to a chat frame on its way to a client. */
export type Tampering = "flip" | "replay" | "pass";

/** A running proxy. */
export interface TamperProxy extends AsyncDisposable {
  /** `ws://127.0.0.1:PORT` for the clients. */
  url: string;
}

/**
 * Starts a proxy to `upstream`. `decide` sees every chat frame the relay
 * delivers to a client and says what to do with it.
 */
export function startTamperProxy(
  upstream: string,
  decide: (frame: Record<string, unknown>) => Tampering,
): TamperProxy {
  const sockets = new Set<WebSocket>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, (request) => {
    const { socket: client, response } = Deno.upgradeWebSocket(request);
    const relay = new WebSocket(upstream);
    sockets.add(client).add(relay);
    const early: string[] = [];
    relay.onopen = () => {
      for (const text of early.splice(0)) relay.send(text);
    };
    client.onmessage = (event) => {
      if (relay.readyState === WebSocket.OPEN) relay.send(event.data);
      else early.push(event.data);
    };
    relay.onmessage = (event) => {
      if (client.readyState !== WebSocket.OPEN) return;
      const frame = JSON.parse(event.data);
      const action = frame.type === "chat" ? decide(frame) : "pass";
      if (action === "flip") {
        const ciphertext = frame.ciphertext as string;
        const flipped = ciphertext[0] === "0" ? "1" : "0";
        client.send(
          JSON.stringify({
            ...frame,
            ciphertext: flipped + ciphertext.slice(1),
          }),
        );
        return;
      }
      client.send(event.data);
      if (action === "replay") client.send(event.data);
    };
    const closeBoth = () => {
      for (const socket of [client, relay]) {
        if (socket.readyState < WebSocket.CLOSING) socket.close();
      }
    };
    client.onclose = closeBoth;
    relay.onclose = closeBoth;
    const forget = (socket: WebSocket) =>
      socket.addEventListener("close", () => sockets.delete(socket));
    forget(client);
    forget(relay);
    return response;
  });
  return {
    url: `ws://127.0.0.1:${server.addr.port}`,
    async [Symbol.asyncDispose]() {
      const closed = [...sockets].map((socket) =>
        new Promise((resolve) => {
          socket.addEventListener("close", resolve);
          if (socket.readyState < WebSocket.CLOSING) socket.close();
        })
      );
      await Promise.all(closed);
      await server.shutdown();
    },
  };
}
