/**
 * The pair-key API, the contract the router guard, the dashboard and legacy
 * clients rely on: `/get_session_key`, `/link_status`, and the session API
 * (`/create_session`, `/join_session`, `/sessions`). Its operator actions
 * are in `operator_routes.ts`.
 *
 * @module
 */

import {
  KEM_PUBLIC_KEY_LENGTH,
  type LinkStatusResponse,
  wrapKey,
} from "../protocol/mod.ts";
import { identify } from "./auth.ts";
import { authorizeDevice, authorizeOperator } from "./caller.ts";
import type { Kms } from "./context.ts";
import {
  base64Field,
  type Body,
  booleanField,
  deviceField,
  stringField,
} from "./fields.ts";
import type { IssuedKey, RefusedKey } from "./key_issuer.ts";
import { HttpError, json, readJsonObject } from "./http.ts";
import { KEYS_ISSUED } from "./quantum_link.ts";
import type { Handler } from "./router.ts";

/**
 * The link as `/link_status` reports it; with `options.incidents` (for
 * operators: incidents name devices and operators) its incidents too.
 */
export function linkStatus(
  kms: Kms,
  options: { incidents?: boolean } = {},
): LinkStatusResponse {
  return {
    status: kms.link.status,
    qber: kms.link.qber,
    total_keys_issued: kms.store.counter(KEYS_ISSUED),
    attacks_detected: kms.incidents.count,
    active_sessions: kms.broker.activeSessions,
    history: kms.link.history,
    router_last_seen: kms.routerLastSeen,
    attack_mode: kms.link.attackMode,
    link: kms.link.report(),
    ...(options.incidents ? { incidents: kms.incidents.snapshot() } : {}),
  };
}

/**
 * A refusal as the pair-key API has always sent RED: HTTP 200 on purpose
 * (clients branch on `status`, not on the code) with `{error, qber, status}`;
 * an empty pool or a stopped link say so by name, with a `message`.
 */
export function refused(
  outcome: RefusedKey,
  to: { kms: Kms; device: string },
): Response {
  // Each one counted in the incident, whatever the audit's rate limit wrote.
  if (outcome.reason === "link_red") to.kms.incidents.refused(to.device);
  const common = { qber: outcome.qber, status: outcome.status };
  switch (outcome.reason) {
    case "link_red":
      return json({ error: outcome.message, ...common });
    case "pool_empty":
      return json({
        error: "key_pool_empty",
        message: outcome.message,
        ...common,
        pool_bits: outcome.poolBits,
        key_rate_bps: outcome.keyRateBps,
      });
    case "link_down":
      return json({ error: "link_down", message: outcome.message, ...common });
  }
}

/**
 * The key for the wire: wrapped to the device's ML-KEM-768 key when it sent
 * one (the key never crosses the network in clear), else `key_hex` as legacy
 * clients read it.
 */
async function keyFields(
  issued: IssuedKey,
  to: { device: string; kem?: Uint8Array },
): Promise<Record<string, unknown>> {
  const { device, kem: kemPublicKey } = to;
  const common = {
    key_id: issued.keyId,
    qber: issued.qber,
    status: issued.status,
    pqc: issued.pqc,
  };
  if (!kemPublicKey) return { key_hex: issued.key.toHex(), ...common };
  return {
    ...await wrappedKeyFields(issued, { device, kem: kemPublicKey }),
    ...common,
  };
}

/**
 * A key wrapped to `to.device`'s fresh ML-KEM-768 key, bound to
 * `key_id|device_id` (`protocol/key_wrap.ts`), as the pair and room key
 * answers carry it.
 */
export async function wrappedKeyFields(
  issued: { key: Uint8Array; keyId: string },
  to: { device: string; kem: Uint8Array },
): Promise<{ kem_ciphertext: string; wrapped_key: string }> {
  const wrapped = await wrapKey(issued.key, to.kem, {
    context: `${issued.keyId}|${to.device}`,
  });
  return {
    kem_ciphertext: wrapped.kemCiphertext.toBase64(),
    wrapped_key: wrapped.wrappedKey.toBase64(),
  };
}

async function deliver(
  issued: IssuedKey,
  request: {
    device: string;
    kem?: Uint8Array;
    extra?: Record<string, unknown>;
  },
): Promise<Response> {
  return json({
    ...await keyFields(issued, request),
    ...request.extra,
  });
}

/** The device's ML-KEM-768 public key, if it asked for wrapped delivery. */
export function kemKey(body: Body): Uint8Array | undefined {
  return base64Field(body, "kem_public_key", {
    length: KEM_PUBLIC_KEY_LENGTH,
  });
}

/** `POST /get_session_key`: the pair's key (or any waiting key without a peer). */
export const getSessionKey: Handler = async (request, context) => {
  const { kms } = context;
  const body = await readJsonObject(request);
  const device = deviceField(body, ["device_id", "client_id"])!;
  const peer = deviceField(body, ["peer_id"], { optional: true });
  const kem = kemKey(body);
  authorizeDevice(request, context, { device: device, purpose: "pair keys" });
  const keyId = body.key_id === undefined
    ? undefined
    : stringField(body, "key_id");
  if (keyId !== undefined && peer === undefined) {
    throw new HttpError(400, "bad_field", { message: "key_id needs peer_id" });
  }
  const forceAttack = booleanField(body, "force_attack");
  // The seeds let any caller put Eve on the channel; with tokens required
  // that is an operator's action, which a device token cannot take.
  if (forceAttack && !kms.config.open) {
    throw new HttpError(403, "forbidden", {
      message:
        "force_attack needs an operator: use POST /force_attack with an operator credential",
    });
  }
  if (forceAttack) {
    // The seeds' demo: Eve goes on the link as /force_attack puts her, and
    // this request, made to show the attack, gets no key.
    await kms.link.forceAttack({
      by: `actor=anonymous source=${context.source.address}`,
    });
    return json({
      error:
        "force_attack: an intercept-resend eavesdropper is on the link; no key for this request",
      qber: kms.link.qber,
      status: kms.link.status,
    });
  }
  const outcome = kms.broker.pairKey({
    device,
    peer,
    pqc: booleanField(body, "pqc"),
    keyId,
  });
  if (!outcome.ok && outcome.reason === "unknown_key") {
    throw new HttpError(404, "unknown_key", {
      message: `no recent key ${keyId} for ${device} and ${peer}`,
    });
  }
  if (!outcome.ok) return refused(outcome, { kms, device });
  const extra = peer ? { peer_id: peer } : {};
  const seedClient = kms.config.open && body.device_id === undefined && !kem;
  return await deliver(outcome, {
    device,
    kem,
    extra: seedClient ? { ...extra, ...seedAliases(outcome) } : extra,
  });
};

/**
 * The names the seeds' first Python client reads (`client_app.py` sends
 * `{client_id, peer_id}`), for that request form under `--open` only: the
 * key in clear, as the seeds sent it.
 */
function seedAliases(issued: IssuedKey): Record<string, unknown> {
  return {
    aes_key: issued.key.toHex(),
    session_id: issued.keyId,
    link_status: issued.status,
  };
}

/** `POST /create_session`: a session and its key for the initiator. */
export const createSession: Handler = async (request, context) => {
  const { kms } = context;
  const body = await readJsonObject(request);
  const initiator = deviceField(body, ["initiator"])!;
  const peer = deviceField(body, ["peer"])!;
  const kem = kemKey(body);
  authorizeDevice(request, context, {
    device: initiator,
    purpose: "pair keys",
  });
  const outcome = kms.broker.createSession({
    initiator,
    peer,
    pqc: booleanField(body, "pqc"),
  });
  if (!outcome.ok) return refused(outcome, { kms, device: initiator });
  return await deliver(outcome, {
    device: initiator,
    kem,
    extra: { session_id: outcome.session.sessionId, initiator, peer },
  });
};

/** `POST /join_session`: the session's key for its named peer. */
export const joinSession: Handler = async (request, context) => {
  const { kms } = context;
  const body = await readJsonObject(request);
  const sessionId = stringField(body, "session_id");
  const device = deviceField(body, ["device_id"])!;
  const kem = kemKey(body);
  authorizeDevice(request, context, { device: device, purpose: "pair keys" });
  const outcome = kms.broker.joinSession(sessionId, device);
  if (!outcome.ok) {
    switch (outcome.reason) {
      case "unknown_session":
        throw new HttpError(404, "unknown_session", {
          message: `no session ${sessionId}`,
        });
      case "not_session_peer":
        throw new HttpError(403, "not_session_peer", {
          message: `${device} is not a member of session ${sessionId}`,
        });
      default:
        return refused(outcome, { kms, device });
    }
  }
  return await deliver(outcome, {
    device,
    kem,
    extra: { session_id: sessionId },
  });
};

/**
 * `GET /link_status`, open to all (the router guard polls it without a
 * token); its `incidents` only for an operator's token, or under `--open`.
 */
export const getLinkStatus: Handler = (request, { kms }) => {
  const identity = identify(request.headers.get("authorization"), kms.store);
  const operator = identity.ok && identity.caller.role === "operator";
  return json(linkStatus(kms, { incidents: kms.config.open || operator }));
};

/**
 * `GET /sessions`: session metadata, never keys; for operators unless
 * `--open` (it names who talks to whom).
 */
export const listSessions: Handler = (request, context) => {
  authorizeOperator(request, context);
  return json({ sessions: context.kms.broker.sessions() });
};
