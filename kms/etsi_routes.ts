/**
 * ETSI GS QKD 014 v1.1.1 key delivery under `/api/v1/keys/`: a master SAE
 * asks for keys shared with a slave SAE (`enc_keys`); the slave fetches the
 * same keys by id (`dec_keys`), exactly once. Keys are base64, key ids UUIDs,
 * errors `{message, details}` with the standard's statuses (400, 401, 503).
 *
 * Every caller authenticates with its bearer token; the token names the
 * calling SAE. Keys come from the link's key pool in one atomic take (an
 * empty pool answers 503 at once) and wait for the slave sealed under the
 * master key. `status` describes the pool: `stored_key_count` keys of
 * `key_size` it holds now, `max_key_count` its capacity in such keys.
 *
 * @module
 */

import {
  type EtsiKeysResponse,
  type EtsiStatusResponse,
  isDeviceId,
} from "../protocol/mod.ts";
import { authenticate, requireRole } from "./caller.ts";
import { certificateCaller } from "./certificate_caller.ts";
import { EtsiError, HttpError, json, readJsonObject } from "./http.ts";
import { openAtRest, sealAtRest } from "./master_key.ts";
import type { Handler, Route, RouteContext } from "./router.ts";

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
export const MAX_UNDELIVERED_KEYS = 4096;
/** The name every ETSI request has in the latency metric. */
export const ETSI_LABEL = "/api/v1/keys";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * A route of the ETSI API: every refusal, including those of the code it
 * shares with the rest of the KMS (body reading, authentication, the 405),
 * in the standard's shape; counted under {@linkcode ETSI_LABEL}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ETSI_LABEL, etsiRoute } from "./etsi_routes.ts";
 * import { HttpError } from "./http.ts";
 *
 * const route = etsiRoute("/api/v1/keys/:sae/status", {
 *   GET: () => { throw new HttpError(401, "unauthorized", { message: "no token" }); },
 * });
 * assertEquals(route.label, ETSI_LABEL);
 * const request = new Request("http://kms/api/v1/keys/SAE_B/status", { method: "POST" });
 * assertEquals(route.refuseMethod?.(request, ["GET"]).message, "POST not allowed: use GET");
 * ```
 */
export function etsiRoute(
  path: string,
  methods: Record<string, Handler>,
): Route {
  const shaped = Object.entries(methods).map((
    [method, handler],
  ) => [method, etsiErrors(handler)]);
  return {
    path,
    methods: Object.fromEntries(shaped),
    label: ETSI_LABEL,
    refuseMethod: (request, allow) =>
      new EtsiError(
        405,
        `${request.method} not allowed: use ${allow.join(" or ")}`,
        { headers: { allow: allow.join(", ") } },
      ),
  };
}

function etsiErrors(handler: Handler): Handler {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (error) {
      throw error instanceof HttpError ? EtsiError.from(error) : error;
    }
  };
}

function intParam(
  value: unknown,
  options: { name: string; fallback: number },
): number {
  const { name, fallback } = options;
  if (value === undefined || value === null) return fallback;
  const n = typeof value === "string" && /^\d+$/.test(value)
    ? Number(value)
    : value;
  if (typeof n !== "number" || !Number.isSafeInteger(n)) {
    throw new EtsiError(400, `${name} must be a positive integer`);
  }
  return n;
}

/**
 * The authenticated caller: every ETSI request needs its bearer token, an
 * SAE's (device role), never an operator's.
 */
function caller(request: Request, context: RouteContext): string {
  const sae = context.peer
    ? certificateCaller(request, context, context.peer)
    : authenticate(request, context, { api: "etsi" });
  requireRole(request, context, {
    caller: sae,
    role: "device",
    message: `${sae.name} is an operator: ETSI keys are for SAEs`,
  });
  return sae.name;
}

/** The SAE the path names, the caller's counterpart in `role`. */
function pathSae(context: RouteContext, role: "master" | "slave"): string {
  const sae = decodeURIComponent(context.params.sae);
  if (!isDeviceId(sae)) {
    throw new EtsiError(
      400,
      `${role} SAE_ID must be 1 to 64 characters from A-Z a-z 0-9 _ . -`,
    );
  }
  return sae;
}

/** `GET /api/v1/keys/{slave}/status`. */
export const etsiStatus: Handler = (request, context) => {
  const master = caller(request, context);
  const slave = pathSae(context, "slave");
  const body: EtsiStatusResponse = {
    source_KME_ID: KME_ID,
    target_KME_ID: KME_ID,
    master_SAE_ID: master,
    slave_SAE_ID: slave,
    key_size: DEFAULT_KEY_SIZE,
    // What enc_keys can serve now: none while the link refuses every key.
    stored_key_count: context.kms.link.refusal()
      ? 0
      : Math.floor(context.kms.pool.bits / DEFAULT_KEY_SIZE),
    max_key_count: Math.floor(context.kms.pool.capacityBits / DEFAULT_KEY_SIZE),
    max_key_per_request: MAX_KEY_PER_REQUEST,
    max_key_size: MAX_KEY_SIZE,
    min_key_size: MIN_KEY_SIZE,
    max_SAE_ID_count: 0,
  };
  return json(body);
};

/** `GET` or `POST /api/v1/keys/{slave}/enc_keys`: new keys for the master. */
export const encKeys: Handler = async (request, context) => {
  const { kms } = context;
  const master = caller(request, context);
  const slave = pathSae(context, "slave");
  const body = request.method === "POST"
    ? await readJsonObject(request)
    : Object.fromEntries(new URL(request.url).searchParams);
  const number = intParam(body.number, { name: "number", fallback: 1 });
  const size = intParam(body.size, {
    name: "size",
    fallback: DEFAULT_KEY_SIZE,
  });
  if (number < 1 || number > MAX_KEY_PER_REQUEST) {
    throw new EtsiError(400, `number must be 1 to ${MAX_KEY_PER_REQUEST}`);
  }
  if (size < MIN_KEY_SIZE || size > MAX_KEY_SIZE || size % 8 !== 0) {
    throw new EtsiError(
      400,
      `size must be a multiple of 8 from ${MIN_KEY_SIZE} to ${MAX_KEY_SIZE}`,
    );
  }
  const extra = body.additional_slave_SAE_IDs;
  if (Array.isArray(extra) && extra.length > 0) {
    throw new EtsiError(
      400,
      "additional_slave_SAE_IDs are not supported (max_SAE_ID_count is 0)",
    );
  }
  const mandatory = body.extension_mandatory;
  if (Array.isArray(mandatory) && mandatory.length > 0) {
    throw new EtsiError(400, "extension_mandatory is not supported", {
      details: mandatory,
    });
  }
  if (master === slave) {
    throw new EtsiError(400, "master and slave SAE must differ");
  }
  if (
    kms.store.etsiKeyCount({ master, slave }) + number > MAX_UNDELIVERED_KEYS
  ) {
    throw new EtsiError(
      400,
      `at most ${MAX_UNDELIVERED_KEYS} undelivered keys per SAE pair`,
    );
  }
  // Every key of the request in one take: all of them, or a 503 at once.
  const run = kms.link.takeBits(number * size);
  if (!run.ok) {
    throw new EtsiError(503, run.message, {
      details: run.reason === "pool_empty"
        ? [{
          pool_bits: run.poolBits,
          requested_bits: number * size,
          key_rate_bps: run.keyRateBps,
        }]
        : undefined,
    });
  }
  const bytes = size / 8;
  const keys: EtsiKeysResponse["keys"] = [];
  const sealed = [];
  for (let i = 0; i < number; i++) {
    const keyId = crypto.randomUUID();
    const key = run.secret.subarray(i * bytes, (i + 1) * bytes);
    keys.push({ key_ID: keyId, key: key.toBase64() });
    sealed.push({
      keyId,
      master,
      slave,
      sealed: await sealAtRest(kms.masterKey, key, {
        context: `${keyId}|${master}|${slave}`,
      }),
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
  return json({ keys } satisfies EtsiKeysResponse);
};

/** `GET` or `POST /api/v1/keys/{master}/dec_keys`: the slave takes its keys, once. */
export const decKeys: Handler = async (request, context) => {
  const { kms } = context;
  const slave = caller(request, context);
  const master = pathSae(context, "master");
  const ids = await keyIds(request);
  if (ids.length === 0 || ids.length > MAX_KEY_PER_REQUEST) {
    throw new EtsiError(400, `name 1 to ${MAX_KEY_PER_REQUEST} key_IDs`);
  }
  const bad = ids.filter((id) => typeof id !== "string" || !UUID.test(id));
  if (bad.length > 0) {
    throw new EtsiError(400, "key_ID must be a UUID", {
      details: bad.map((key_ID) => ({ key_ID })),
    });
  }
  const taken = kms.store.takeEtsiKeys(ids as string[], { master, slave });
  if (!taken.ok) {
    throw new EtsiError(
      400,
      "keys not found: unknown, already delivered, or not shared with this SAE",
      { details: taken.missing.map((key_ID) => ({ key_ID })) },
    );
  }
  const keys: EtsiKeysResponse["keys"] = [];
  for (const k of taken.keys) {
    const key = await openAtRest(kms.masterKey, k.sealed, {
      context: `${k.keyId}|${k.master}|${k.slave}`,
    });
    keys.push({ key_ID: k.keyId, key: key.toBase64() });
  }
  kms.audit.record(
    "ETSI_KEYS_DELIVERED",
    `master=${master} slave=${slave} count=${keys.length}`,
  );
  return json({ keys } satisfies EtsiKeysResponse);
};

/** The key ids a `dec_keys` request names, by POST body or query. */
async function keyIds(request: Request): Promise<unknown[]> {
  if (request.method !== "POST") {
    return new URL(request.url).searchParams.getAll("key_ID");
  }
  const body = await readJsonObject(request);
  if (!Array.isArray(body.key_IDs)) {
    throw new EtsiError(400, "key_IDs must be an array");
  }
  return body.key_IDs.map((k) => (k as { key_ID?: unknown } | null)?.key_ID);
}

/** Any other operation under `/api/v1/keys/{SAE}/`: 404, whatever the method. */
export const unknownOperation: Handler = (_request, { params }) => {
  throw new EtsiError(404, `unknown operation ${params.operation}`);
};
