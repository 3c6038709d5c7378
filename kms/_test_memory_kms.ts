/**
 * Test helper: a KMS on an in-memory database whose request handler the
 * tests call directly, without a socket or a process. Its link is a
 * {@linkcode ScriptedLinkSource}: blocks run when the test says so (and
 * when an eavesdropper is switched on), and its pool starts with
 * `options.poolBits` random bits put there directly.
 *
 * @module
 */

import { generateIdentity, importAesKey, type Role } from "../protocol/mod.ts";
import { type TestClient, testClient } from "./_test_kms.ts";
import { newToken, tokenHash } from "./auth.ts";
import { parseKmsConfig } from "./config.ts";
import { closeKms, createKms, type Kms } from "./context.ts";
import { ScriptedLinkSource } from "./_test_link_source.ts";
import { randomBytes } from "./_test_bytes.ts";
import { createHandler } from "./server.ts";
import { KmsStore } from "./store.ts";

/** The source address of {@linkcode MemoryKms}'s own requests. */
export const TEST_SOURCE = { hostname: "127.0.0.1", port: 51234 };

/** A KMS in memory and its request handler, called without a socket. */
export interface MemoryKms extends TestClient {
  /** The KMS itself. */
  kms: Kms;
  /** Its request handler, as `Deno.serve` would call it. */
  handle: ReturnType<typeof createHandler>;
  /** The audit lines it printed. */
  log: string[];
  /** Its link's blocks. */
  source: ScriptedLinkSource;
  /** Enrolls an SAE, device or operator and returns its token. */
  enroll(
    sae: string,
    options?: { role?: Role; publicKey?: string },
  ): string;
  /** A client whose requests come from another address. */
  from(source: { hostname: string; port: number }): TestClient;
}

/** Bits a {@linkcode withMemoryKms} pool starts with by default (256 keys). */
export const MEMORY_POOL_BITS = 65_536;

/**
 * Runs `fn` against a KMS in memory started with `args` (e.g. `--open`),
 * its pool holding `poolBits` (default {@linkcode MEMORY_POOL_BITS}), then
 * closes it. Its requests come from {@linkcode TEST_SOURCE}.
 */
export async function withMemoryKms(
  fn: (kms: MemoryKms) => Promise<void>,
  options: { args?: string[]; poolBits?: number } = {},
): Promise<void> {
  const log: string[] = [];
  const kms = createKms(parseKmsConfig(options.args ?? [], () => undefined), {
    store: new KmsStore(":memory:"),
    masterKey: await importAesKey(crypto.getRandomValues(new Uint8Array(32))),
    ticketKey: await generateIdentity(),
    log: (line) => log.push(line),
  });
  const source = new ScriptedLinkSource();
  source.stopWhen = () => kms.link.status === "RED";
  kms.link.attach(source);
  const poolBits = options.poolBits ?? MEMORY_POOL_BITS;
  if (poolBits > 0) {
    await kms.pool.add(randomBytes(poolBits / 8));
  }
  const handle = createHandler(kms);
  const from = (source: { hostname: string; port: number }) =>
    testClient((path, init) =>
      handle(new Request(`http://127.0.0.1:8000${path}`, init), {
        remoteAddr: { transport: "tcp", ...source },
      })
    );
  try {
    await fn({
      kms,
      handle,
      log,
      source,
      ...from(TEST_SOURCE),
      from,
      enroll: (sae, enrollment) => {
        const token = newToken();
        kms.store.enrollSae(sae, tokenHash(token), enrollment);
        return token;
      },
    });
  } finally {
    closeKms(kms);
  }
}
