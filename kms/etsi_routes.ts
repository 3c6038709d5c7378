/**
 * ETSI GS QKD 014 v1.1.1 key delivery under `/api/v1/keys/`: a master SAE
 * asks for keys shared with a slave SAE (`enc_keys`); the slave fetches the
 * same keys by id (`dec_keys`), exactly once. Keys are base64, key ids UUIDs,
 * errors `{message, details}` with the standard's statuses (400, 401, 503).
 *
 * Every caller authenticates with its bearer token; the token names the
 * calling SAE. Keys wait for the slave sealed under the master key.
 *
 * @module
 */

import { isDeviceId } from "../protocol/mod.ts";
import { authenticate } from "./auth.ts";
import type { Kms } from "./context.ts";
import { HttpError, json, readJsonObject } from "./http.ts";
import { openAtRest, sealAtRest } from "./master_key.ts";

/** This KME's id in status answers. */
export const KME_ID = "QSTCS-KMS";
/** Key size when the request names none (bits). */
export const DEFAULT_KEY_SIZE = 256;
/** Smallest key size served (bits). */
export const MIN_KEY_SIZE = 64;
/** Largest key size served (bits). */
export const MAX_KEY_SIZE = 4096;
/** Most keys in one request. */
export const MAX_KEY_PER_REQUEST = 128;
/** Most undelivered keys held for one master/slave pair. */
export const MAX_KEY_COUNT = 4096;

/** An ETSI error: the standard's body shape. */
function etsiError(
  status: number,
  message: string,
  details?: unknown[],
): HttpError {
  const error = new HttpError(status, "etsi", { message });
  return Object.assign(error, { details });
}

/** Renders an HttpError in the ETSI shape. */
export function etsiErrorResponse(error: HttpError): Response {
  const details = (error as HttpError & { details?: unknown[] }).details;
  return json(
    details ? { message: error.message, details } : { message: error.message },
    {
      status: error.status,
      headers: error.headers,
    },
  );
}

function intParam(value: unknown, name: string, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === "string" && /^\d+$/.test(value)
    ? Number(value)
    : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw etsiError(400, `${name} must be a positive integer`);
  }
  return n;
}

function checkSae(id: string, role: string): void {
  if (!isDeviceId(id)) {
    throw etsiError(
      400,
      `${role} SAE_ID must be 1 to 64 characters from A-Z a-z 0-9 _ . -`,
    );
  }
}

function status(kms: Kms, caller: string, slave: string): Response {
  return json({
    source_KME_ID: KME_ID,
    target_KME_ID: KME_ID,
    master_SAE_ID: caller,
    slave_SAE_ID: slave,
    key_size: DEFAULT_KEY_SIZE,
    stored_key_count: kms.store.etsiKeyCount({ master: caller, slave }),
    max_key_count: MAX_KEY_COUNT,
    max_key_per_request: MAX_KEY_PER_REQUEST,
    max_key_size: MAX_KEY_SIZE,
    min_key_size: MIN_KEY_SIZE,
    max_SAE_ID_count: 0,
  });
}

async function encKeys(
  kms: Kms,
  master: string,
  slave: string,
  request: Request,
): Promise<Response> {
  const url = new URL(request.url);
  const body = request.method === "POST"
    ? await readJsonObject(request)
    : Object.fromEntries(url.searchParams);
  const number = intParam(body.number, "number", 1);
  const size = intParam(body.size, "size", DEFAULT_KEY_SIZE);
  if (number < 1 || number > MAX_KEY_PER_REQUEST) {
    throw etsiError(400, `number must be 1 to ${MAX_KEY_PER_REQUEST}`);
  }
  if (size < MIN_KEY_SIZE || size > MAX_KEY_SIZE || size % 8 !== 0) {
    throw etsiError(
      400,
      `size must be a multiple of 8 from ${MIN_KEY_SIZE} to ${MAX_KEY_SIZE}`,
    );
  }
  const extra = body.additional_slave_SAE_IDs;
  if (Array.isArray(extra) && extra.length > 0) {
    throw etsiError(
      400,
      "additional_slave_SAE_IDs are not supported (max_SAE_ID_count is 0)",
    );
  }
  const mandatory = body.extension_mandatory;
  if (Array.isArray(mandatory) && mandatory.length > 0) {
    throw etsiError(400, "extension_mandatory is not supported", mandatory);
  }
  if (master === slave) {
    throw etsiError(400, "master and slave SAE must differ");
  }
  if (kms.store.etsiKeyCount({ master, slave }) + number > MAX_KEY_COUNT) {
    throw etsiError(
      400,
      `at most ${MAX_KEY_COUNT} undelivered keys per SAE pair`,
    );
  }
  // One BB84 run supplies every key of the request.
  const run = kms.link.freshKey(number * size);
  if (!run.ok) throw etsiError(503, run.error);
  const bytes = size / 8;
  const keys = [];
  const sealed = [];
  for (let i = 0; i < number; i++) {
    const keyId = crypto.randomUUID();
    const key = run.secret.subarray(i * bytes, (i + 1) * bytes);
    keys.push({ key_ID: keyId, key: key.toBase64() });
    sealed.push({
      keyId,
      master,
      slave,
      sealed: await sealAtRest(
        kms.masterKey,
        key,
        `${keyId}|${master}|${slave}`,
      ),
    });
  }
  kms.store.addEtsiKeys(sealed);
  kms.link.countIssued(number);
  kms.audit.record(
    "ETSI_KEYS_ISSUED",
    `master=${master} slave=${slave} count=${number} size=${size} qber=${
      run.qber.toFixed(3)
    }`,
  );
  return json({ keys });
}

async function decKeys(
  kms: Kms,
  slave: string,
  master: string,
  request: Request,
): Promise<Response> {
  let ids: unknown[];
  if (request.method === "POST") {
    const body = await readJsonObject(request);
    if (!Array.isArray(body.key_IDs)) {
      throw etsiError(400, "key_IDs must be an array");
    }
    ids = body.key_IDs.map((k) => (k as { key_ID?: unknown } | null)?.key_ID);
  } else {
    ids = new URL(request.url).searchParams.getAll("key_ID");
  }
  if (ids.length === 0 || ids.length > MAX_KEY_PER_REQUEST) {
    throw etsiError(400, `name 1 to ${MAX_KEY_PER_REQUEST} key_IDs`);
  }
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  const bad = ids.filter((id) => typeof id !== "string" || !uuid.test(id));
  if (bad.length > 0) {
    throw etsiError(
      400,
      "key_ID must be a UUID",
      bad.map((key_ID) => ({ key_ID })),
    );
  }
  const taken = kms.store.takeEtsiKeys(ids as string[], { master, slave });
  if ("missing" in taken) {
    throw etsiError(
      400,
      "keys not found: unknown, already delivered, or not shared with this SAE",
      taken.missing.map((key_ID) => ({ key_ID })),
    );
  }
  const keys = [];
  for (const k of taken.keys) {
    const key = await openAtRest(
      kms.masterKey,
      k.sealed,
      `${k.keyId}|${k.master}|${k.slave}`,
    );
    keys.push({ key_ID: k.keyId, key: key.toBase64() });
  }
  kms.audit.record(
    "ETSI_KEYS_DELIVERED",
    `master=${master} slave=${slave} count=${keys.length}`,
  );
  return json({ keys });
}

const PATTERN = new URLPattern({ pathname: "/api/v1/keys/:sae/:operation" });
const METHODS: Record<string, string[]> = {
  status: ["GET"],
  enc_keys: ["GET", "POST"],
  dec_keys: ["GET", "POST"],
};

/**
 * Handles an ETSI request, or returns undefined when the path is not an ETSI
 * path. Errors come back in the ETSI shape.
 */
export async function handleEtsi(
  request: Request,
  kms: Kms,
): Promise<Response | undefined> {
  const match = PATTERN.exec(request.url);
  if (!match) return undefined;
  const { sae = "", operation = "" } = match.pathname.groups;
  try {
    const methods = METHODS[operation];
    if (!methods) throw etsiError(404, `unknown operation ${operation}`);
    if (!methods.includes(request.method)) {
      throw new HttpError(405, "method_not_allowed", {
        message: `${request.method} not allowed: use ${methods.join(" or ")}`,
        headers: { allow: methods.join(", ") },
      });
    }
    const caller = authenticate(request, kms.store);
    const other = decodeURIComponent(sae);
    checkSae(other, operation === "dec_keys" ? "master" : "slave");
    if (operation === "status") return status(kms, caller, other);
    if (operation === "enc_keys") {
      return await encKeys(kms, caller, other, request);
    }
    return await decKeys(kms, caller, other, request);
  } catch (error) {
    if (error instanceof HttpError) {
      if (error.status === 401) {
        kms.audit.record(
          "AUTH_FAILED",
          `api=etsi path=${new URL(request.url).pathname}`,
        );
      }
      return etsiErrorResponse(error);
    }
    throw error;
  }
}
