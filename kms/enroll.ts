/**
 * `deno task kms:enroll <SAE_ID>`: creates a bearer token for an SAE (or a
 * device, with `--require-auth`), stores only its SHA-256 hash, and prints
 * the token once. Enrolling again replaces the old token.
 *
 * @module
 */

import { parseArgs } from "../common/std.ts";
import { isDeviceId } from "../protocol/mod.ts";
import { newToken, tokenHash } from "./auth.ts";
import { DATABASE_FILE } from "./context.ts";
import { KmsStore } from "./store.ts";

const USAGE = `Usage: deno task kms:enroll [--data DIR] <SAE_ID>

Creates a bearer token for SAE_ID (1 to 64 characters from A-Z a-z 0-9 _ . -)
and prints it once. The KMS keeps only its SHA-256 hash.`;

async function main(): Promise<number> {
  const flags = parseArgs(Deno.args, { string: ["data"], boolean: ["help"] });
  const [sae] = flags._.map(String);
  if (flags.help || flags._.length !== 1 || !isDeviceId(sae)) {
    console.error(USAGE);
    return flags.help ? 0 : 2;
  }
  const dataDir = flags.data ?? Deno.env.get("KMS_DATA") ?? "data/kms";
  await Deno.mkdir(dataDir, { recursive: true, mode: 0o700 });
  const store = new KmsStore(`${dataDir}/${DATABASE_FILE}`);
  try {
    const token = newToken();
    store.enrollSae(sae, tokenHash(token));
    store.audit("SAE_ENROLLED", `sae=${sae}`);
    console.log(
      `Enrolled ${sae}. Its bearer token (shown once, keep it secret):`,
    );
    console.log(token);
  } finally {
    store.close();
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main());
