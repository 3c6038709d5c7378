/**
 * What the dashboard's route handlers find in `ctx.state`.
 *
 * @module
 */

import type { KmsMonitor } from "./kms_monitor.ts";
import type { OperatorAuth } from "./operator_auth.ts";
import type { SocQueries } from "./soc_queries.ts";

/** The server's state, shared by every request. */
export interface AppState {
  /** The dashboard's connection to the KMS. */
  monitor: KmsMonitor;
  /** The configured operator and the browsers logged in as them. */
  auth: OperatorAuth;
  /** The analyst's queries to the KMS and the relay, with this server's credentials. */
  queries: SocQueries;
  /** Where operator actions are logged (with who and from where). */
  log: (line: string) => void;
}

/**
 * A client address as the logs write it.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { describeSource } from "./app_state.ts";
 *
 * assertEquals(describeSource({ transport: "tcp", hostname: "10.0.0.7", port: 51234 }), "10.0.0.7:51234");
 * assertEquals(describeSource(null), "unknown");
 * ```
 */
export function describeSource(address: Deno.NetAddr | null): string {
  return address ? `${address.hostname}:${address.port}` : "unknown";
}
