/**
 * ETSI GS QKD 014 v1.1.1 key delivery under `/api/v1/keys/`: a master SAE
 * asks for keys shared with a slave SAE (`enc_keys`); the slave fetches the
 * same keys by id (`dec_keys`), exactly once. Keys are base64, key ids UUIDs,
 * errors `{message, details}` with the standard's statuses (400, 401, 503).
 *
 * Every caller is authenticated: on the mutual-TLS port (8443, clause 5.1)
 * by its client certificate, on the plain port (8000) by its bearer token, a
 * non-standard convenience; either names the calling SAE. Keys come from the link's key pool in one atomic take (an
 * empty pool answers 503 at once), number x size bits once for all slaves,
 * and wait sealed under the master key for each slave the master named (the
 * path's and any `additional_slave_SAE_IDs`: key multicast), at most
 * {@linkcode MAX_UNDELIVERED_KEYS} per master/slave pair. `status`
 * describes the pool: `stored_key_count` keys of `key_size` it holds now,
 * `max_key_count` its capacity in such keys.
 *
 * `dec_keys` is all or nothing: every named key, or none and a 400 (401
 * when the caller is no slave of one of them, Table 7). Its keys count as
 * delivered only once the answer was written in full (see `etsi_keys.ts`);
 * while the link is RED it delivers none (503), and keeps them.
 *
 * @module
 */

import {
  type EtsiKeysResponse,
  type EtsiStatusResponse,
  isDeviceId,
} from "../protocol/mod.ts";
import { responseWritten } from "../common/fetch_bridge.ts";
import { authenticate, requireRole } from "./caller.ts";
import { certificateCaller } from "./certificate_caller.ts";
import type { Kms } from "./context.ts";
import { MAX_UNDELIVERED_KEYS, type OverCap } from "./etsi_keys.ts";
import {
  checkKeyIds,
  DEFAULT_KEY_SIZE,
  keyIdsOfBody,
  KEYS_NOT_FOUND,
  MAX_KEY_PER_REQUEST,
  MAX_KEY_SIZE,
  MAX_SAE_ID_COUNT,
  MIN_KEY_SIZE,
  parseKeyRequest,
} from "./etsi_request.ts";
import { EtsiError, HttpError, json, readJsonObject } from "./http.ts";
import { openAtRest, sealAtRest } from "./master_key.ts";
import type { Handler, Route, RouteContext } from "./router.ts";

/** This KME's id in status answers. */
export const KME_ID = "QSTCS-KMS";
/** The name every ETSI request has in the latency metric. */
export const ETSI_LABEL = "/api/v1/keys";
/** The 503 of a `dec_keys` while the link is RED. */
export const RED_NO_DELIVERY =
  "QKD link is RED: keys are not delivered until an operator resets the link";

/**
 * A route of the ETSI API: every refusal, including those of the code it
 * shares with the rest of the KMS (body reading, authentication), in the
 * standard's shape and within its status codes (200, 400, 401, 503): a
 * method the route does not serve and a body too large are a "bad request
 * format", 400; an operator's token is "unauthorized", 401; an unexpected
 * failure is an "error on server side", 503.
 * Counted under {@linkcode ETSI_LABEL}.
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
        400,
        `${request.method} not allowed: use ${allow.join(" or ")}`,
        { headers: { allow: allow.join(", ") } },
      ),
  };
}

// The shared code's statuses the standard has no row for: a body too large
// is a bad request format; an operator's token is no SAE's, unauthorized.
const WITHIN_STANDARD: Record<number, number> = { 413: 400, 403: 401 };

function etsiErrors(handler: Handler): Handler {
  return async (request, context) => {
    try {
      return await handler(request, context);
    } catch (error) {
      if (error instanceof HttpError) {
        const shaped = EtsiError.from(error);
        const status = WITHIN_STANDARD[shaped.status];
        throw status
          ? new EtsiError(status, shaped.message, { headers: shaped.headers })
          : shaped;
      }
      // Never echo internals (or anything secret): the kind only.
      console.error(
        `[KMS] internal error on ETSI ${request.method}:`,
        error instanceof Error ? error.name : typeof error,
      );
      throw new EtsiError(503, "the KME could not handle this request");
    }
  };
}

/**
 * The authenticated caller, by its certificate on the TLS port or its bearer
 * token otherwise: an SAE (device role), never an operator.
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
  let sae: string;
  try {
    sae = decodeURIComponent(context.params.sae);
  } catch {
    throw new EtsiError(400, `${role} SAE_ID is not a valid URL-encoded id`);
  }
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
  const { link, pool } = context.kms;
  const master = caller(request, context);
  const slave = pathSae(context, "slave");
  const body: EtsiStatusResponse = {
    source_KME_ID: KME_ID,
    target_KME_ID: KME_ID,
    master_SAE_ID: master,
    slave_SAE_ID: slave,
    key_size: DEFAULT_KEY_SIZE,
    // What enc_keys can serve now: none while the link refuses every key.
    stored_key_count: link.refusal()
      ? 0
      : Math.floor(pool.bits / DEFAULT_KEY_SIZE),
    max_key_count: Math.floor(pool.capacityBits / DEFAULT_KEY_SIZE),
    max_key_per_request: MAX_KEY_PER_REQUEST,
    max_key_size: MAX_KEY_SIZE,
    min_key_size: MIN_KEY_SIZE,
    max_SAE_ID_count: MAX_SAE_ID_COUNT,
    // A vendor-prefixed name, as 6.2 advises for extensions.
    ...(link.status === "RED"
      ? { status_extension: { qstcs_link_status: "RED" } }
      : {}),
  };
  return json(body);
};

/**
 * `GET` or `POST /api/v1/keys/{slave}/enc_keys`: new keys for the master,
 * shared with the slave and any additional slaves.
 */
export const encKeys: Handler = async (request, context) => {
  const { kms } = context;
  const master = caller(request, context);
  const slave = pathSae(context, "slave");
  const body = request.method === "POST"
    ? await readJsonObject(request)
    : Object.fromEntries(new URL(request.url).searchParams);
  const { number, size, additionalSlaves } = parseKeyRequest(body);
  const slaves = [slave, ...additionalSlaves];
  if (slaves.includes(master)) {
    throw new EtsiError(400, "master and slave SAE must differ");
  }
  if (additionalSlaves.includes(slave)) {
    throw new EtsiError(
      400,
      `additional_slave_SAE_IDs names ${slave}, the slave of the path`,
    );
  }
  for (const name of slaves) {
    if (kms.store.enrollment(name)?.role !== "device") {
      throw new EtsiError(
        400,
        `slave SAE ${name} is not enrolled: it could never collect these keys ` +
          `(deno task kms:enroll ${name})`,
        { details: [{ slave_SAE_ID: name }] },
      );
    }
  }
  // Before the first await, so requests sealing their keys concurrently
  // cannot together pass the cap; before the take, so a refusal costs no bits.
  const room = kms.etsi.reserve(number, { master, slaves });
  if (!room.ok) throw overCap(room);
  try {
    return await issue(kms, { master, slaves, number, size });
  } finally {
    room.release();
  }
};

function overCap(refusal: OverCap): EtsiError {
  return new EtsiError(
    400,
    `at most ${MAX_UNDELIVERED_KEYS} undelivered keys per SAE pair: ` +
      `${refusal.slave} has ${refusal.held} to collect`,
  );
}

async function issue(
  kms: Kms,
  request: { master: string; slaves: string[]; number: number; size: number },
): Promise<Response> {
  const { master, slaves, number, size } = request;
  const slave = slaves[0];
  // Every key of the request in one take, once for all slaves: all of
  // them, or a 503 at once.
  const run = kms.link.takeBits(number * size);
  if (!run.ok) {
    if (run.reason === "link_red") kms.incidents.refused(master);
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
      // One sealed copy for every slave: the context names the path's.
      sealed: await sealAtRest(kms.masterKey, key, {
        context: `${keyId}|${master}|${slave}`,
      }),
    });
  }
  const stored = kms.etsi.add(sealed, { slaves });
  if (!stored.ok) throw overCap(stored);
  kms.link.countIssued(number);
  kms.audit.record(
    "ETSI_KEYS_ISSUED",
    `master=${master} slave=${
      slaves.join(",")
    } count=${number} size=${size} qber=${run.qber.toFixed(3)}`,
  );
  return json({ keys } satisfies EtsiKeysResponse);
}

/**
 * `GET` or `POST /api/v1/keys/{master}/dec_keys`: the slave collects its
 * keys, once; all or nothing.
 */
export const decKeys: Handler = async (request, context) => {
  const { kms } = context;
  const slave = caller(request, context);
  const master = pathSae(context, "master");
  const ids = checkKeyIds(
    request.method === "POST"
      ? keyIdsOfBody(await readJsonObject(request))
      : new URL(request.url).searchParams.getAll("key_ID"),
  );
  if (master === slave) {
    throw new EtsiError(400, "master and slave SAE must differ");
  }
  // Before the claim: the keys stay for after the reset.
  if (kms.link.status === "RED") throw new EtsiError(503, RED_NO_DELIVERY);
  const claimed = kms.etsi.claim(ids, { master, slave });
  if (!claimed.ok) {
    const details = claimed.keyIds.map((key_ID) => ({ key_ID }));
    throw claimed.reason === "unauthorized"
      ? new EtsiError(401, `${slave} is not a slave SAE of these keys`, {
        details,
      })
      : new EtsiError(400, KEYS_NOT_FOUND, { details });
  }
  const keys: EtsiKeysResponse["keys"] = [];
  try {
    for (const k of claimed.keys) {
      const key = await openAtRest(kms.masterKey, k.sealed, {
        context: `${k.keyId}|${k.master}|${k.slave}`,
      });
      keys.push({ key_ID: k.keyId, key: key.toBase64() });
    }
  } catch (error) {
    kms.etsi.release(claimed.claim);
    throw error;
  }
  settleDelivery(request, {
    kms,
    claim: claimed.claim,
    detail: `master=${master} slave=${slave} count=${keys.length}`,
  });
  return json({ keys } satisfies EtsiKeysResponse);
};

/**
 * Records the claimed keys delivered once the answer is written in full,
 * or gives them back when it was not. A request that came without a
 * socket (a test calling the handler) is delivered at once.
 */
function settleDelivery(
  request: Request,
  options: { kms: Kms; claim: string; detail: string },
): void {
  const { kms, claim, detail } = options;
  const settle = (written: boolean) => {
    if (written) {
      kms.etsi.deliver(claim);
      kms.audit.record("ETSI_KEYS_DELIVERED", detail);
    } else {
      kms.etsi.release(claim);
      kms.audit.record(
        "ETSI_KEYS_RELEASED",
        `${detail} reason=the answer was not written in full`,
      );
    }
  };
  const written = responseWritten(request);
  if (!written) return settle(true);
  written.then(settle).catch((error) =>
    // The database closed first (shutdown): the claim stays, and the next
    // start releases it.
    console.error(
      "[KMS] an ETSI delivery stays claimed:",
      error instanceof Error ? error.name : typeof error,
    )
  );
}

/** Any other operation under `/api/v1/keys/{SAE}/`: 404, whatever the method. */
export const unknownOperation: Handler = (_request, { params }) => {
  throw new EtsiError(404, `unknown operation ${params.operation}`);
};
