/**
 * Test helper: a hostile relay in front of the real one. It passes frames
 * both ways, but can flip a hex digit of a chat packet's ciphertext or
 * deliver a packet twice on its way to a client, as a compromised relay
 * could; and, with the KMS key K a cooperating KMS gives it, open a
 * `kem_offer`, put its own ML-KEM-768 public key in and seal it again
 * under K: the man in the middle the handshake's signatures must catch.
 *
 * @module
 */

import {
  type ChatPacket,
  decryptPacket,
  encryptPacket,
  generateKemKeyPair,
  importPacketKey,
} from "../protocol/mod.ts";

/** What to do to a chat frame on its way to a client. */
export type Tampering = "flip" | "replay" | "swap_kem" | "pass";

/** Options for {@linkcode startTamperProxy}. */
export interface TamperOptions {
  /** K for a packet's key id, from a cooperating KMS (for `swap_kem`). */
  kmsKey?: (packet: ChatPacket) => Promise<Uint8Array>;
}

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
  options: TamperOptions = {},
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
    // One frame after another, as the relay sent them, even when swapping
    // takes a moment.
    let queue = Promise.resolve();
    relay.onmessage = (event) => {
      queue = queue.then(() => pass(event.data));
    };
    const pass = async (data: string) => {
      if (client.readyState !== WebSocket.OPEN) return;
      const frame = JSON.parse(data);
      const action = frame.type === "chat" ? decide(frame) : "pass";
      if (action === "swap_kem") {
        client.send(JSON.stringify(await swapKem(frame, options)));
        return;
      }
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
      client.send(data);
      if (action === "replay") client.send(data);
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

// A kem_offer's ML-KEM key replaced by the proxy's own, the sender's ticket
// and signature kept (the proxy cannot make new ones), sealed again under K.
async function swapKem(
  packet: ChatPacket,
  options: TamperOptions,
): Promise<ChatPacket> {
  if (!options.kmsKey) throw new Error("swap_kem needs options.kmsKey");
  const k = await importPacketKey(await options.kmsKey(packet));
  const payload = JSON.parse(
    new TextDecoder().decode(await decryptPacket(k, packet)),
  );
  if (payload.t !== "kem_offer") return packet;
  payload.pk = generateKemKeyPair().publicKey.toBase64();
  return await encryptPacket(k, JSON.stringify(payload), {
    sender: packet.sender,
    recipient: packet.recipient,
    keyId: packet.key_id,
    seq: packet.seq,
    id: packet.id,
  });
}
