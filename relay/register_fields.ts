/**
 * The optional fields of a register frame beyond the device id: the
 * `resume` token of a previous connection, the KMS's relay `ticket`, the
 * `proof` that the sender holds the ticket's identity key, and the devices
 * it `watch`es.
 *
 * @module
 */

import { readWatchList } from "../protocol/mod.ts";

/** Outcome of {@linkcode readRegisterFields}. */
export type RegisterFieldsResult =
  | {
    ok: true;
    resume?: string;
    ticket?: string;
    proof?: string;
    watch?: string[];
  }
  | { ok: false; message: string };

/**
 * Reads `resume`, `ticket`, `proof` and `watch` of a register frame that `readEnvelope` has
 * already accepted. Register frames carry no message contents, so parsing
 * one whole is safe.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readRegisterFields } from "./register_fields.ts";
 *
 * assertEquals(
 *   readRegisterFields('{"type":"register","device_id":"a","resume":"ab","ticket":"t.s"}'),
 *   { ok: true, resume: "ab", ticket: "t.s" },
 * );
 * assertEquals(readRegisterFields('{"from":"a"}'), { ok: true });
 * assertEquals(readRegisterFields('{"from":"a","resume":1}'), {
 *   ok: false,
 *   message: "resume must be a string",
 * });
 * assertEquals(readRegisterFields('{"from":"a","watch":["b"]}'), {
 *   ok: true,
 *   watch: ["b"],
 * });
 * ```
 */
export function readRegisterFields(
  registerFrame: string,
): RegisterFieldsResult {
  const fields = JSON.parse(registerFrame) as Record<string, unknown>;
  const read: { resume?: string; ticket?: string; proof?: string } = {};
  for (const name of ["resume", "ticket", "proof"] as const) {
    const value = fields[name];
    if (value === undefined) continue;
    if (typeof value !== "string") {
      return { ok: false, message: `${name} must be a string` };
    }
    read[name] = value;
  }
  if (fields.watch === undefined) return { ok: true, ...read };
  const watch = readWatchList(fields.watch);
  if (!watch.ok) return { ok: false, message: `watch: ${watch.message}` };
  return { ok: true, ...read, watch: watch.devices };
}
