/**
 * The caller of a request over mutual TLS: the SAE its verified client
 * certificate names. TLS has already checked the chain to `--tls-ca`; this
 * decides which enrolled SAE, if any, the certificate is:
 * - a certificate bound by `kms:enroll SAE_ID --cert FILE` is that SAE;
 * - otherwise its CN (or, with `--tls-sae-id san-uri`, its SAN
 *   `URI:urn:qstcs:sae:SAE_ID`) must name an enrolled device that has no
 *   bound certificates (one that has accepts those only);
 * - operators are never ETSI callers.
 * Anything else is a 401 whose message says how to enroll, and a
 * rate-limited `AUTH_FAILED` row with `api=etsi-tls`. It runs on every
 * request: a resumed TLS session must not keep an enrollment since revoked.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { generateIdentity, importAesKey } from "../protocol/mod.ts";
 * import { certificateCaller } from "./certificate_caller.ts";
 * import { parseKmsConfig } from "./config.ts";
 * import { createKms } from "./context.ts";
 * import { HttpError } from "./http.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const kms = createKms(parseKmsConfig([], () => undefined), {
 *   store: new KmsStore(":memory:"),
 *   masterKey: await importAesKey(new Uint8Array(32)),
 *   ticketKey: await generateIdentity(),
 *   log: () => {},
 * });
 * kms.store.enrollSae("SAE_A", "hash-a");
 * const request = new Request("https://kms/api/v1/keys/SAE_B/status");
 * const context = { kms, params: {}, source: { address: "10.0.0.7:4000", host: "10.0.0.7" } };
 * const peer = { fingerprint256: "ab".repeat(32), subjectCN: "SAE_A" };
 * assertEquals(certificateCaller(request, context, peer).name, "SAE_A");
 * assertThrows(
 *   () => certificateCaller(request, context, { ...peer, subjectCN: "SAE_Z" }),
 *   HttpError,
 *   "deno task kms:enroll SAE_Z --cert FILE",
 * );
 * ```
 *
 * @module
 */

import type { PeerCertificate } from "../common/tls_peer.ts";
import { isDeviceId } from "../protocol/mod.ts";
import { HttpError } from "./http.ts";
import type { RouteContext } from "./router.ts";
import { certificateOwner, pinnedCertificates } from "./sae_certs.ts";
import type { Enrollment } from "./store.ts";
import { SAE_URI_PREFIX, type SaeIdSource } from "./tls_config.ts";

/** The enrolled SAE `peer` identifies; otherwise an audited 401. */
export function certificateCaller(
  request: Request,
  context: RouteContext,
  peer: PeerCertificate,
): Enrollment {
  const { kms, source } = context;
  const { store } = kms;
  const fingerprint = peer.fingerprint256;
  const bound = certificateOwner(store, fingerprint);
  const name = bound ?? certificateName(peer, kms.config.tls.saeId);
  const enrollment = name === undefined ? undefined : store.enrollment(name);
  const shown = `${
    peer.subjectCN ? `CN=${peer.subjectCN}` : "without a CN"
  } (sha256 ${fingerprint})`;
  let refusal: string;
  if (name === undefined) {
    refusal = `certificate ${shown} names no SAE id (the KMS reads ${
      kms.config.tls.saeId === "cn" ? "the CN" : `a SAN URI:${SAE_URI_PREFIX}ID`
    }): bind it with deno task kms:enroll SAE_ID --cert FILE`;
  } else if (!enrollment) {
    refusal =
      `certificate ${shown} is not enrolled: deno task kms:enroll ${name} --cert FILE`;
  } else if (enrollment.role !== "device") {
    refusal = `${name} is an operator: ETSI keys are for SAEs`;
  } else if (bound === undefined && pinnedCertificates(store, name) > 0) {
    refusal =
      `certificate ${shown} is not one bound to ${name}: deno task kms:enroll ${name} --cert FILE`;
  } else {
    return enrollment;
  }
  kms.audit.limited(
    "AUTH_FAILED",
    `source=${source.address} api=etsi-tls path=${
      new URL(request.url).pathname
    } cert_sha256=${fingerprint}`,
    { source: source.host },
  );
  throw new HttpError(401, "unauthorized", { message: refusal });
}

// The SAE id a certificate carries where `from` says, if it is a valid one.
function certificateName(
  peer: PeerCertificate,
  from: SaeIdSource,
): string | undefined {
  const name = from === "cn"
    ? peer.subjectCN
    : (peer.subjectAltName ?? "").split(/,\s*/)
      .find((entry) => entry.startsWith(`URI:${SAE_URI_PREFIX}`))
      ?.slice(`URI:${SAE_URI_PREFIX}`.length);
  return name !== undefined && isDeviceId(name) ? name : undefined;
}
