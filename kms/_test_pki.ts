/**
 * Test helper: `deno task kms:pki` as a real process (permission set
 * kms-pki) into a KMS data directory, where the KMS finds its certificates.
 *
 * @module
 */

import { assertEquals, assertMatch } from "@std/assert";
import { PROJECT_ROOT } from "../common/service_process.ts";

/**
 * Runs `kms:pki --out DATA/pki SAE...` and returns the folder's absolute
 * path; checks it printed the enroll line of each SAE.
 */
export async function makePki(
  dataDir: string,
  saes: string[],
): Promise<string> {
  const out = `${dataDir}/pki`;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", "-P=kms-pki", "kms/pki.ts", "--out", out, ...saes],
    cwd: PROJECT_ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const printed = new TextDecoder().decode(stdout);
  assertEquals(code, 0, new TextDecoder().decode(stderr));
  for (const name of saes) {
    assertMatch(printed, new RegExp(`deno task kms:enroll ${name} --cert `));
  }
  return `${PROJECT_ROOT}${out}`;
}
