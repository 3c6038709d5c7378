/**
 * Opt-in: the third-party ETSI GS QKD 014 client nanoy42/etsi-qkd-014-client
 * (LGPL-3.0-or-later, v0.9.0), run UNMODIFIED against a real KMS over mutual
 * TLS; only its ini file points at our KMS and certificates. It cannot be
 * installed here (no PyPI) nor committed (fetched code stays out of the
 * repository), so the test runs only when QSTCS_ETSI014_CLIENT names a
 * checkout, the folder holding `etsi_qkd_014_client/`:
 *
 *   git clone https://github.com/nanoy42/etsi-qkd-014-client /tmp/nanoy42
 *   QSTCS_ETSI014_CLIENT=/tmp/nanoy42 deno test -P=test kms/etsi_nanoy42_system_test.ts
 *
 * Without it the test is registered as ignored and says why, in CI too
 * (testing/skip.ts's skipUnless would fail CI for a client CI cannot have);
 * testing/etsi_sae_client.py covers the same wire behaviour in every run.
 */

import { assertEquals, assertMatch } from "@std/assert";
import { freePort } from "../common/service_process.ts";
import { enroll, removeDataDir, startKms, testDataDir } from "./_test_kms.ts";
import { makePki } from "./_test_pki.ts";

const CLIENT = Deno.env.get("QSTCS_ETSI014_CLIENT");
const NAME =
  "nanoy42/etsi-qkd-014-client, unmodified, gets status and a key over mutual TLS and the slave fetches it by id";

if (!CLIENT) {
  console.warn(
    `NOT RUN (opt-in): ${NAME}. Set QSTCS_ETSI014_CLIENT to a checkout of ` +
      "github.com/nanoy42/etsi-qkd-014-client (it cannot be installed or " +
      "committed here); testing/etsi_sae_client.py covers its wire behaviour.",
  );
}

// The CLI always exits 0: its answer is in "Response code : N" and the
// data's lines ("Key id : ...", "Key : ...").
async function cli(ini: string, args: string[]): Promise<string> {
  const { stdout, stderr } = await new Deno.Command("/usr/bin/python3", {
    args: ["-m", "etsi_qkd_014_client.cli", "-C", ini, ...args],
    cwd: CLIENT,
    env: { PYTHONPATH: CLIENT!, PYTHONWARNINGS: "ignore" },
  }).output();
  const out = new TextDecoder().decode(stdout);
  console.log(`$ qkd014-client -C ${ini} ${args.join(" ")}\n${out.trim()}`);
  const err = new TextDecoder().decode(stderr).trim();
  if (err) console.log(err);
  return out;
}

function field(out: string, name: string): string {
  const match = out.match(new RegExp(`^\\s*${name} : (.+)$`, "m"));
  if (!match) throw new Error(`no "${name} :" line in:\n${out}`);
  return match[1].trim();
}

Deno.test({ name: NAME, ignore: !CLIENT }, async () => {
  const dataDir = testDataDir();
  const httpsPort = freePort();
  const folder = await Deno.makeTempDir();
  try {
    const pki = await makePki(dataDir, ["SAE_A", "SAE_B"]);
    for (const sae of ["SAE_A", "SAE_B"]) {
      await enroll(dataDir, sae, { args: ["--cert", `${pki}/${sae}.pem`] });
      await Deno.writeTextFile(
        `${folder}/${sae}.ini`,
        [
          "[etsi_qkd_014_client]",
          `hostname = 127.0.0.1:${httpsPort}`,
          `cert = ${pki}/${sae}.pem`,
          `key = ${pki}/${sae}.key`,
          `ca = ${pki}/ca.pem`,
          "force = false",
          "",
        ].join("\n"),
      );
    }
    const kms = await startKms({ dataDir, httpsPort, poolBits: 1024 });
    try {
      const status = await cli(`${folder}/SAE_A.ini`, ["get_status", "SAE_B"]);
      assertEquals(field(status, "Response code"), "200");
      const key = await cli(`${folder}/SAE_A.ini`, ["get_key", "SAE_B"]);
      assertEquals(field(key, "Response code"), "200");
      const keyId = field(key, "Key id");
      const material = field(key, "Key");
      const fetched = await cli(`${folder}/SAE_B.ini`, [
        "get_key_with_id",
        keyId,
        "SAE_A",
      ]);
      assertEquals(field(fetched, "Response code"), "200");
      assertEquals(
        [field(fetched, "Key id"), field(fetched, "Key")],
        [keyId, material],
      );
      // The key is delivered once: asked again, the standard's 400.
      const again = await cli(`${folder}/SAE_B.ini`, [
        "get_key_with_id",
        keyId,
        "SAE_A",
      ]);
      assertMatch(field(again, "Response code"), /^400$/);
    } finally {
      await kms.stop();
    }
  } finally {
    await Deno.remove(folder, { recursive: true });
    await removeDataDir(dataDir);
  }
});
