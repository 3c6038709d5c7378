/**
 * Test helper: a KMS on an in-memory database whose request handler the
 * tests call directly, without a socket or a process.
 *
 * @module
 */

import { importAesKey } from "../protocol/mod.ts";
import { type TestClient, testClient } from "./_test_kms.ts";
import { newToken, tokenHash } from "./auth.ts";
import { parseKmsConfig } from "./config.ts";
import { closeKms, createKms, type Kms } from "./context.ts";
import { createHandler } from "./server.ts";
import { KmsStore } from "./store.ts";

/** A KMS in memory and its request handler, called without a socket. */
export interface MemoryKms extends TestClient {
  /** The KMS itself. */
  kms: Kms;
  /** Its request handler, as `Deno.serve` would call it. */
  handle: (request: Request) => Promise<Response>;
  /** The audit lines it printed. */
  log: string[];
  /** Enrolls an SAE (or device) and returns its token. */
  enroll(sae: string): string;
}

/**
 * Runs `fn` against a KMS in memory started with `args` (e.g.
 * `--require-auth`), then closes it.
 */
export async function withMemoryKms(
  fn: (kms: MemoryKms) => Promise<void>,
  options: { args?: string[] } = {},
): Promise<void> {
  const log: string[] = [];
  const kms = createKms(parseKmsConfig(options.args ?? [], () => undefined), {
    store: new KmsStore(":memory:"),
    masterKey: await importAesKey(crypto.getRandomValues(new Uint8Array(32))),
    log: (line) => log.push(line),
  });
  const handle = createHandler(kms);
  try {
    await fn({
      kms,
      handle,
      log,
      ...testClient((path, init) =>
        handle(new Request(`http://127.0.0.1:8000${path}`, init))
      ),
      enroll: (sae) => {
        const token = newToken();
        kms.store.enrollSae(sae, tokenHash(token));
        return token;
      },
    });
  } finally {
    closeKms(kms);
  }
}
