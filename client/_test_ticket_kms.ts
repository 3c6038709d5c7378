/**
 * Test helper: a KMS that issues relay tickets, made of the real KMS process
 * and a proxy in front of it that answers `GET /ticket_key` and
 * `POST /relay_ticket` itself, as the contract of issue 13 says the KMS
 * does (protocol's issueTicket, first key bound per device, 409 for another
 * one until re-enrolled), and forwards every other request. With
 * `issues: false` it answers both with 404 instead: a KMS from before
 * tickets, whatever the real one does.
 *
 * @module
 */

import {
  generateIdentity,
  type Identity,
  issueTicket,
  type RelayTicketRequest,
  type RelayTicketResponse,
  type TicketKeyResponse,
} from "../protocol/mod.ts";

/** A running ticket-issuing proxy. */
export interface TicketKms extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` for the clients. */
  url: string;
  /** Its ticket signing key. */
  issuer: Identity;
  /** Forgets the identity key bound to `deviceId`, as re-enrolling does. */
  reenroll(deviceId: string): void;
}

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;

/** Starts the proxy in front of the KMS at `upstream`. */
export async function startTicketKms(
  upstream: string,
  options: { issues?: boolean } = {},
): Promise<TicketKms> {
  const issuer = await generateIdentity();
  const bound = new Map<string, string>();
  const json = (body: unknown, status = 200) => Response.json(body, { status });
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, async (request) => {
    const { pathname, search } = new URL(request.url);
    const ticketPath = pathname === "/ticket_key" ||
      pathname === "/relay_ticket";
    if (ticketPath && options.issues === false) {
      return json({ error: "not_found", message: `no route ${pathname}` }, 404);
    }
    if (pathname === "/ticket_key") {
      const body: TicketKeyResponse = {
        algorithm: "Ed25519",
        public_key: issuer.publicKey.toBase64(BASE64URL),
      };
      return json(body);
    }
    if (pathname === "/relay_ticket") {
      const asked = await request.json() as RelayTicketRequest;
      const known = bound.get(asked.device_id);
      if (known !== undefined && known !== asked.public_key) {
        return json({
          error: "identity_key_mismatch",
          message: "another identity key is bound: re-enroll the device",
        }, 409);
      }
      bound.set(asked.device_id, asked.public_key);
      const now = Date.now() / 1000;
      const body: RelayTicketResponse = {
        ticket: await issueTicket(issuer, {
          deviceId: asked.device_id,
          publicKey: Uint8Array.fromBase64(asked.public_key, BASE64URL),
          now,
          lifetimeSeconds: 3600,
        }),
        expires_at: Math.floor(now + 3600),
      };
      return json(body);
    }
    const forwarded = await fetch(upstream + pathname + search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
    return new Response(forwarded.body, {
      status: forwarded.status,
      headers: forwarded.headers,
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    issuer,
    reenroll: (deviceId) => void bound.delete(deviceId),
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
