/**
 * Client certificates bound to enrolled SAEs (`kms:enroll SAE_ID --cert
 * FILE`), by the SHA-256 fingerprint of their DER: the table `sae_certs`.
 * An SAE with bound certificates is known over mutual TLS by those only;
 * one without is known by its certificate's name (see
 * certificate_caller.ts).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { bindCertificate, certificateOwner, pinnedCertificates } from "./sae_certs.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:");
 * const fingerprint = "ab".repeat(32);
 * bindCertificate(store, { fingerprint, saeId: "SAE_A", subject: "CN=SAE_A" });
 * assertEquals(certificateOwner(store, fingerprint), "SAE_A");
 * assertEquals(pinnedCertificates(store, "SAE_A"), 1);
 * assertEquals(certificateOwner(store, "cd".repeat(32)), undefined);
 * store.close();
 * ```
 *
 * @module
 */

import type { KmsStore } from "./store.ts";

/** A certificate to bind. */
export interface CertificateBinding {
  /** SHA-256 of the DER, lowercase hex without colons. */
  fingerprint: string;
  /** The enrolled SAE it identifies. */
  saeId: string;
  /** Its subject, e.g. `CN=SAE_A`, for the operator's eyes. */
  subject?: string;
  /** Its expiry as the certificate says it. */
  notAfter?: string;
}

/** Binds a certificate to an SAE (again: to the SAE now named). */
export function bindCertificate(
  store: KmsStore,
  binding: CertificateBinding,
): void {
  store.statement(
    `INSERT INTO sae_certs (fingerprint, sae_id, subject, not_after, enrolled_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(fingerprint) DO UPDATE SET sae_id = excluded.sae_id, subject = excluded.subject,
       not_after = excluded.not_after, enrolled_at = excluded.enrolled_at`,
  ).run(
    binding.fingerprint,
    binding.saeId,
    binding.subject ?? null,
    binding.notAfter ?? null,
    new Date().toISOString(),
  );
}

/** The SAE a certificate fingerprint is bound to, if any. */
export function certificateOwner(
  store: KmsStore,
  fingerprint: string,
): string | undefined {
  const row = store.statement(
    "SELECT sae_id FROM sae_certs WHERE fingerprint = ?",
  ).get(fingerprint) as { sae_id: string } | undefined;
  return row?.sae_id;
}

/** How many certificates are bound to `saeId`. */
export function pinnedCertificates(store: KmsStore, saeId: string): number {
  const row = store.statement(
    "SELECT COUNT(*) AS n FROM sae_certs WHERE sae_id = ?",
  ).get(saeId) as { n: number };
  return Number(row.n);
}
