/**
 * The pair-key API, the contract the router guard, the dashboard and legacy
 * clients rely on: `/get_session_key`, `/link_status`, `/force_attack`,
 * `/reset`, and the session API (`/create_session`, `/join_session`,
 * `/sessions`, `/activate_eve`, `/deactivate_eve`, `/trigger_attack`).
 *
 * @module
 */

import {
  KEM_PUBLIC_KEY_LENGTH,
  type LinkStatusResponse,
  wrapKey,
} from "../protocol/mod.ts";
import { callerSae } from "./caller.ts";
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
import { ATTACKS_DETECTED, KEYS_ISSUED } from "./quantum_link.ts";
import type { Handler } from "./router.ts";

/** The link as `/link_status` reports it. */
export function linkStatus(kms: Kms): LinkStatusResponse {
  return {
    status: kms.link.status,
    qber: kms.link.qber,
    total_keys_issued: kms.store.counter(KEYS_ISSUED),
    attacks_detected: kms.store.counter(ATTACKS_DETECTED),
    active_sessions: kms.broker.activeSessions,
    history: kms.link.history,
    router_last_seen: kms.routerLastSeen,
    attack_mode: kms.link.attackMode,
  };
}

/** With `--require-auth`, the caller must hold the token of `device`. */
function authorize(request: Request, kms: Kms, device: string): void {
  if (!kms.config.requireAuth) return;
  const sae = callerSae(request, kms);
  if (sae !== device) {
    throw new HttpError(403, "forbidden", {
      message: `this token belongs to ${sae}, not ${device}`,
    });
  }
}

function refused(outcome: RefusedKey): Response {
  // HTTP 200 on purpose: clients branch on status, not on the code.
  return json({
    error: outcome.message,
    qber: outcome.qber,
    status: outcome.status,
  });
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
  const wrapped = await wrapKey(issued.key, kemPublicKey, {
    context: `${issued.keyId}|${device}`,
  });
  return {
    kem_ciphertext: wrapped.kemCiphertext.toBase64(),
    wrapped_key: wrapped.wrappedKey.toBase64(),
    ...common,
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
function kemKey(body: Body): Uint8Array | undefined {
  return base64Field(body, "kem_public_key", {
    length: KEM_PUBLIC_KEY_LENGTH,
  });
}

/** `POST /get_session_key`: the pair's key (or any waiting key without a peer). */
export const getSessionKey: Handler = async (request, { kms }) => {
  const body = await readJsonObject(request);
  const device = deviceField(body, ["device_id", "client_id"])!;
  const peer = deviceField(body, ["peer_id"], { optional: true });
  const kem = kemKey(body);
  authorize(request, kms, device);
  const keyId = body.key_id === undefined
    ? undefined
    : stringField(body, "key_id");
  if (keyId !== undefined && peer === undefined) {
    throw new HttpError(400, "bad_field", { message: "key_id needs peer_id" });
  }
  const outcome = kms.broker.pairKey({
    device,
    peer,
    pqc: booleanField(body, "pqc"),
    forceAttack: booleanField(body, "force_attack"),
    keyId,
  });
  if (!outcome.ok && outcome.reason === "unknown_key") {
    throw new HttpError(404, "unknown_key", {
      message: `no recent key ${keyId} for ${device} and ${peer}`,
    });
  }
  if (!outcome.ok) return refused(outcome);
  return await deliver(outcome, {
    device,
    kem,
    extra: peer ? { peer_id: peer } : {},
  });
};

/** `POST /create_session`: a session and its key for the initiator. */
export const createSession: Handler = async (request, { kms }) => {
  const body = await readJsonObject(request);
  const initiator = deviceField(body, ["initiator"])!;
  const peer = deviceField(body, ["peer"])!;
  const kem = kemKey(body);
  authorize(request, kms, initiator);
  const outcome = kms.broker.createSession({
    initiator,
    peer,
    pqc: booleanField(body, "pqc"),
  });
  if (!outcome.ok) return refused(outcome);
  return await deliver(outcome, {
    device: initiator,
    kem,
    extra: { session_id: outcome.session.sessionId, initiator, peer },
  });
};

/** `POST /join_session`: the session's key for its named peer. */
export const joinSession: Handler = async (request, { kms }) => {
  const body = await readJsonObject(request);
  const sessionId = stringField(body, "session_id");
  const device = deviceField(body, ["device_id"])!;
  const kem = kemKey(body);
  authorize(request, kms, device);
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
        return refused(outcome);
    }
  }
  return await deliver(outcome, {
    device,
    kem,
    extra: { session_id: sessionId },
  });
};

/** `GET /link_status`. */
export const getLinkStatus: Handler = (_request, { kms }) =>
  json(linkStatus(kms));

/** `POST /force_attack` (and `/trigger_attack`): attack mode on, runs until RED. */
export const forceAttack: Handler = (_request, { kms }) => {
  const { status, qber } = kms.link.forceAttack();
  return json({ status, qber });
};

/** `POST /reset`: attack off, history, pairs and sessions cleared. */
export const reset: Handler = (_request, { kms }) => {
  kms.link.reset();
  kms.broker.clear();
  return json({ status: "reset_complete" });
};

/** `POST /activate_eve` and `/deactivate_eve`: attack mode without a run. */
export function setEve(on: boolean): Handler {
  return (_request, { kms }) => {
    kms.link.setAttackMode(on);
    return json({ attack_mode: on, status: kms.link.status });
  };
}

/** `GET /sessions`: session metadata, never keys. */
export const listSessions: Handler = (_request, { kms }) =>
  json({ sessions: kms.broker.sessions() });
