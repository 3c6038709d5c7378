/**
 * Session keys from the KMS with wrapped delivery: every request carries a
 * fresh ML-KEM-768 public key, and the KMS answers with the key wrapped to
 * it, so the key never crosses the network in clear.
 *
 * @module
 */

import {
  generateKemKeyPair,
  isLinkStatusResponse,
  type LinkStatus,
  type LinkStatusResponse,
  type SessionKeyRequest,
  unwrapKey,
} from "../protocol/mod.ts";
import {
  call,
  describe,
  headers,
  type KmsCallOptions,
  KmsError,
} from "./kms_http.ts";
import {
  fetchTicketKey,
  requestRelayTicket,
  type TicketAnswer,
  type TicketKeyAnswer,
} from "./kms_tickets.ts";

/** A session key held by the client. */
export interface KmsKey {
  /** Key id, as in the KMS and in chat packets. */
  keyId: string;
  /** The 32 key bytes. Never print or log them. */
  key: Uint8Array;
  /** QBER of the BB84 run that produced the key, 0 to 1. */
  qber: number;
  /** Link status when the key was issued. */
  status: LinkStatus;
}

/** What the KMS answered to a key request. */
export type KeyAnswer =
  | { ok: true; key: KmsKey }
  | {
    ok: false;
    /** `refused`: no key now (link RED, or a run aborted); `unknown_key`: 404. */
    reason: "refused" | "unknown_key";
    /** The KMS's reason. */
    error: string;
    /** Link status, when the KMS gave one. */
    status?: LinkStatus;
    /** QBER, when the KMS gave one. */
    qber?: number;
  };

/** Who asks for a key. */
export interface KeyRequest {
  /** This device. */
  deviceId: string;
  /** The peer the key is shared with. */
  peerId: string;
  /** A recent key of the pair by id, instead of the current one. */
  keyId?: string;
  /** This device's KMS token, sent as `Authorization: Bearer`. */
  token?: string;
}

/**
 * The KMS as the chat client uses it, for one device;
 * {@linkcode httpKms} is the real one, tests give a fake.
 */
export interface KmsApi {
  /** {@linkcode requestSessionKey} for the pair with `request.peerId`. */
  sessionKey(
    request: { peerId: string; keyId?: string },
    options?: KmsCallOptions,
  ): Promise<KeyAnswer>;
  /** {@linkcode fetchLinkStatus}. */
  linkStatus(options?: KmsCallOptions): Promise<LinkStatusResponse>;
  /** {@linkcode fetchTicketKey}. */
  ticketKey(options?: KmsCallOptions): Promise<TicketKeyAnswer>;
  /** {@linkcode requestRelayTicket} for this device's identity key. */
  relayTicket(
    publicKey: Uint8Array,
    options?: KmsCallOptions,
  ): Promise<TicketAnswer>;
}

/**
 * The KMS at `kmsUrl`, asked on behalf of `device` (with its token, if it
 * has one).
 *
 * @example
 * ```ts ignore
 * import { httpKms } from "./kms_client.ts";
 * const kms = httpKms("http://127.0.0.1:8000", { deviceId: "Soldier_Alpha" });
 * const answer = await kms.sessionKey({ peerId: "Soldier_Bravo" });
 * ```
 */
export function httpKms(
  kmsUrl: string,
  device: { deviceId: string; token?: string },
): KmsApi {
  return {
    sessionKey: (request, options) =>
      requestSessionKey(kmsUrl, { ...device, ...request }, options),
    linkStatus: (options) => fetchLinkStatus(kmsUrl, options),
    ticketKey: (options) => fetchTicketKey(kmsUrl, options),
    relayTicket: (publicKey, options) =>
      requestRelayTicket(kmsUrl, { ...device, publicKey }, options),
  };
}

/**
 * Asks the KMS for the pair's session key (`POST /get_session_key` with
 * `kem_public_key`) and unwraps it. The KMS's pairing rules decide which
 * key: the first of the pair to ask creates it, the peer receives the same;
 * asking again while holding the current key yields a fresh one.
 *
 * Answers without a key (RED, a run that aborted, 404 for an unknown
 * `keyId`) resolve with `ok: false`.
 *
 * @throws {KmsError} when the KMS is unreachable, answers with another error
 * or sends a key that does not unwrap.
 *
 * @example
 * ```ts ignore
 * import { assertEquals } from "@std/assert";
 * import { requestSessionKey } from "./kms_client.ts";
 * const answer = await requestSessionKey("http://127.0.0.1:8000", {
 *   deviceId: "Soldier_Alpha",
 *   peerId: "Soldier_Bravo",
 * });
 * if (answer.ok) assertEquals(answer.key.key.length, 32);
 * ```
 */
export async function requestSessionKey(
  kmsUrl: string,
  request: KeyRequest,
  options: KmsCallOptions = {},
): Promise<KeyAnswer> {
  const kem = generateKemKeyPair();
  const body: SessionKeyRequest = {
    device_id: request.deviceId,
    peer_id: request.peerId,
    kem_public_key: kem.publicKey.toBase64(),
    ...(request.keyId === undefined ? {} : { key_id: request.keyId }),
  };
  const { status, json } = await call(new URL("/get_session_key", kmsUrl), {
    method: "POST",
    headers: headers(request.token),
    body: JSON.stringify(body),
    signal: options.signal,
  }, options.timeoutMs);
  if (status === 404 && json.error === "unknown_key") {
    return { ok: false, reason: "unknown_key", error: String(json.error) };
  }
  if (status !== 200) {
    throw new KmsError(`KMS answered HTTP ${status}: ${describe(json)}`, {
      status,
    });
  }
  return await readWrappedKey(json, {
    kemSecretKey: kem.secretKey,
    deviceId: request.deviceId,
  });
}

/**
 * Reads a KMS answer that carries a key wrapped to this device's fresh
 * ML-KEM-768 key (`/get_session_key`, `/rooms/key`) and unwraps it, bound to
 * `key_id|device_id`. An answer without a key (RED, an empty pool) is
 * `ok: false` with the KMS's reason.
 *
 * @throws {KmsError} when the answer has a key but no `key_id`, or the key
 * does not unwrap.
 */
export async function readWrappedKey(
  json: Record<string, unknown>,
  receiver: { kemSecretKey: Uint8Array; deviceId: string },
): Promise<KeyAnswer> {
  if (
    typeof json.wrapped_key !== "string" ||
    typeof json.kem_ciphertext !== "string"
  ) {
    // Any answer without a key means "no key now, wait and retry".
    return {
      ok: false,
      reason: "refused",
      error: describe(json),
      status: linkStatusField(json.status),
      qber: typeof json.qber === "number" ? json.qber : undefined,
    };
  }
  const keyId = json.key_id;
  if (typeof keyId !== "string" || keyId.length === 0) {
    throw new KmsError("KMS answer has no key_id");
  }
  let key: Uint8Array;
  try {
    key = await unwrapKey(
      {
        kemCiphertext: Uint8Array.fromBase64(json.kem_ciphertext),
        wrappedKey: Uint8Array.fromBase64(json.wrapped_key),
      },
      receiver.kemSecretKey,
      { context: `${keyId}|${receiver.deviceId}` },
    );
  } catch (error) {
    throw new KmsError("the KMS's wrapped key does not unwrap", {
      cause: error,
    });
  }
  return {
    ok: true,
    key: {
      keyId,
      key,
      qber: typeof json.qber === "number" ? json.qber : 0,
      status: linkStatusField(json.status) ?? "GREEN",
    },
  };
}

/**
 * Reads `GET /link_status`.
 *
 * @throws {KmsError} when the KMS is unreachable or answers nonsense.
 *
 * @example
 * ```ts ignore
 * import { assertEquals } from "@std/assert";
 * import { fetchLinkStatus } from "./kms_client.ts";
 * const link = await fetchLinkStatus("http://127.0.0.1:8000");
 * assertEquals(["GREEN", "YELLOW", "RED"].includes(link.status), true);
 * ```
 */
export async function fetchLinkStatus(
  kmsUrl: string,
  options: KmsCallOptions = {},
): Promise<LinkStatusResponse> {
  const { status, json } = await call(new URL("/link_status", kmsUrl), {
    signal: options.signal,
  }, options.timeoutMs);
  if (status !== 200 || !isLinkStatusResponse(json)) {
    throw new KmsError(`KMS link status: HTTP ${status}: ${describe(json)}`);
  }
  return json;
}

function linkStatusField(value: unknown): LinkStatus | undefined {
  return value === "GREEN" || value === "YELLOW" || value === "RED"
    ? value
    : undefined;
}
