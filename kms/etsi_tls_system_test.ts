/**
 * ETSI GS QKD 014 over mutual TLS against a real KMS process: the PKI made
 * by `deno task kms:pki`, certificates bound by `kms:enroll --cert`, and
 * our own SAE client in Python (testing/etsi_sae_client.py, requests with a
 * client certificate, the KMS's name checked against the CA) for the wire
 * behaviour ETSI clients have.
 */

import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { issueCertificate, makeCa } from "../common/openssl_pki.ts";
import { freePort, PROJECT_ROOT } from "../common/service_process.ts";
import { enroll, removeDataDir, startKms, testDataDir } from "./_test_kms.ts";
import { makePki } from "./_test_pki.ts";

const PYTHON = "/usr/bin/python3";

interface PythonAnswer {
  status?: number;
  body?: Record<string, unknown>;
  error?: string;
}

async function sae(
  kme: string,
  options: { pki: string; as?: string; certDir?: string },
  args: string[],
): Promise<PythonAnswer> {
  const identity = options.as
    ? [
      "--cert",
      `${options.certDir ?? options.pki}/${options.as}.pem`,
      "--key",
      `${options.certDir ?? options.pki}/${options.as}.key`,
    ]
    : [];
  const { stdout, stderr } = await new Deno.Command(PYTHON, {
    args: [
      `${PROJECT_ROOT}testing/etsi_sae_client.py`,
      "--kme",
      kme,
      "--ca",
      `${options.pki}/ca.pem`,
      ...identity,
      ...args,
    ],
  }).output();
  const text = new TextDecoder().decode(stdout).trim();
  assert(text, new TextDecoder().decode(stderr));
  return JSON.parse(text);
}

Deno.test("ETSI 014 over mutual TLS: a Python SAE client with its certificate gets status and keys, the slave fetches them by id; no certificate, another CA's or an unenrolled one is refused, and the KMS stays up", async () => {
  const dataDir = testDataDir();
  const httpsPort = freePort();
  try {
    const pki = await makePki(dataDir, ["SAE_A", "SAE_B", "SAE_C", "Ops"]);
    // SAE_A: its certificate bound; SAE_B: known by its CN (a token
    // enrollment); SAE_C: never enrolled; Ops: an operator.
    await enroll(dataDir, "SAE_A", { args: ["--cert", `${pki}/SAE_A.pem`] });
    await enroll(dataDir, "SAE_B");
    await enroll(dataDir, "Ops", { args: ["--role", "operator"] });
    const kms = await startKms({ dataDir, httpsPort, poolBits: 2048 });
    try {
      assertMatch(
        kms.process.output,
        new RegExp(
          `ETSI 014 over mutual TLS on https://127\\.0\\.0\\.1:${httpsPort}/api/v1/keys/`,
        ),
      );
      const kme = `127.0.0.1:${httpsPort}`;
      const status = await sae(kme, { pki, as: "SAE_A" }, ["status", "SAE_B"]);
      assertEquals(status.status, 200, JSON.stringify(status));
      assertEquals(status.body?.master_SAE_ID, "SAE_A");
      assertEquals(status.body?.slave_SAE_ID, "SAE_B");
      assertEquals(status.body?.source_KME_ID, "QSTCS-KMS");

      const one = await sae(kme, { pki, as: "SAE_A" }, ["enc_keys", "SAE_B"]);
      assertEquals(one.status, 200, JSON.stringify(one));
      const two = await sae(kme, { pki, as: "SAE_A" }, [
        "enc_keys",
        "SAE_B",
        "--post",
        "--number",
        "2",
        "--size",
        "256",
      ]);
      assertEquals(two.status, 200, JSON.stringify(two));
      const keys = [one, two].flatMap((answer) =>
        answer.body?.keys as { key_ID: string; key: string }[]
      );
      assertEquals(keys.length, 3);
      assertEquals(Uint8Array.fromBase64(keys[1].key).length, 32);

      const byPost = await sae(kme, { pki, as: "SAE_B" }, [
        "dec_keys",
        "SAE_A",
        keys[1].key_ID,
        keys[2].key_ID,
      ]);
      assertEquals(byPost.status, 200, JSON.stringify(byPost));
      assertEquals(byPost.body?.keys, [keys[1], keys[2]]);
      const byGet = await sae(kme, { pki, as: "SAE_B" }, [
        "dec_keys",
        "SAE_A",
        keys[0].key_ID,
        "--get",
      ]);
      assertEquals(byGet.body?.keys, [keys[0]]);

      // Refused at the handshake: no certificate, or another CA's.
      const none = await sae(kme, { pki }, ["status", "SAE_B"]);
      assert(/Error$/.test(none.error ?? ""), JSON.stringify(none));
      const rogueDir = await Deno.makeTempDir();
      try {
        const rogueCa = await makeCa(rogueDir, { commonName: "Rogue CA" });
        await issueCertificate(rogueDir, {
          ca: rogueCa,
          name: "SAE_A",
          commonName: "SAE_A",
          subjectAltName: ["URI:urn:qstcs:sae:SAE_A"],
          usage: "clientAuth",
        });
        const rogue = await sae(kme, { pki, as: "SAE_A", certDir: rogueDir }, [
          "status",
          "SAE_B",
        ]);
        assert(/Error$/.test(rogue.error ?? ""), JSON.stringify(rogue));
      } finally {
        await Deno.remove(rogueDir, { recursive: true });
      }

      // The CA's, but no enrolled SAE: a 401 in the ETSI shape that says
      // how to enroll; an operator's name is no SAE either.
      const stranger = await sae(kme, { pki, as: "SAE_C" }, [
        "status",
        "SAE_B",
      ]);
      assertEquals(stranger.status, 401);
      assertMatch(
        String(stranger.body?.message),
        /deno task kms:enroll SAE_C --cert FILE/,
      );
      const operator = await sae(kme, { pki, as: "Ops" }, ["status", "SAE_B"]);
      assertEquals(operator.status, 401);
      assertMatch(String(operator.body?.message), /operator/);
      // SAE_A's certificates are bound: another one of the CA's with its
      // name is refused.
      const otherDir = await Deno.makeTempDir();
      try {
        await issueCertificate(otherDir, {
          ca: { cert: `${pki}/ca.pem`, key: `${pki}/ca.key` },
          name: "SAE_A",
          commonName: "SAE_A",
          subjectAltName: ["URI:urn:qstcs:sae:SAE_A"],
          usage: "clientAuth",
        });
        const unbound = await sae(
          kme,
          { pki, as: "SAE_A", certDir: otherDir },
          [
            "status",
            "SAE_B",
          ],
        );
        assertEquals(unbound.status, 401);
        assertMatch(String(unbound.body?.message), /not one bound to SAE_A/);
      } finally {
        await Deno.remove(otherDir, { recursive: true });
      }

      // Forty bad handshakes, then a good client is served as before.
      const caCerts = [await Deno.readTextFile(`${pki}/ca.pem`)];
      const bare = Deno.createHttpClient({ caCerts });
      try {
        for (let i = 0; i < 40; i++) {
          await assertRejects(() =>
            fetch(`https://${kme}/api/v1/keys/SAE_B/status`, { client: bare })
          );
        }
      } finally {
        bare.close();
      }
      const good = Deno.createHttpClient({
        caCerts,
        cert: await Deno.readTextFile(`${pki}/SAE_A.pem`),
        key: await Deno.readTextFile(`${pki}/SAE_A.key`),
      });
      try {
        const response = await fetch(
          `https://localhost:${httpsPort}/link_status`,
          { client: good },
        ).catch(() => fetch(`https://${kme}/link_status`, { client: good }));
        // Only ETSI on this port, its errors in the standard's shape.
        assertEquals(response.status, 404);
        assertMatch(String((await response.json()).message), /ETSI/);
      } finally {
        good.close();
      }
      const again = await sae(kme, { pki, as: "SAE_A" }, ["status", "SAE_B"]);
      assertEquals(again.status, 200);
      // The plain port still serves the rest of the KMS.
      assertEquals((await kms.get("/link_status")).status, 200);
    } finally {
      await kms.stop();
    }
  } finally {
    await removeDataDir(dataDir);
  }
});

async function run(permissionSet: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", `-P=${permissionSet}`, ...args],
    cwd: PROJECT_ROOT,
    env: { NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code, out: decoder.decode(stdout) + decoder.decode(stderr) };
}

Deno.test("the HTTPS listener without its default files is off with one line saying how to make them; named files that cannot be read stop the KMS with exit 2", async () => {
  const dataDir = testDataDir();
  try {
    const kms = await startKms({ dataDir, poolBits: 0 });
    try {
      assertMatch(
        kms.process.output,
        new RegExp(
          `no ${dataDir}/pki/kms\\.pem: ETSI 014 over mutual TLS is off; make a demo PKI with: deno task kms:pki SAE_ID`,
        ),
      );
    } finally {
      await kms.stop();
    }
    const port = freePort();
    const httpsPort = freePort();
    const listen = `127.0.0.1:${port},127.0.0.1:${httpsPort}`;
    const flags = `--host 127.0.0.1 --port ${port} --https-port ${httpsPort}`;
    const explicit = await run("kms", [
      `--allow-net=${listen}`,
      "kms/main.ts",
      ...flags.split(" "),
      `--data=${dataDir}`,
    ]);
    assertEquals(explicit.code, 2, explicit.out);
    assertMatch(
      explicit.out,
      new RegExp(
        `\\[KMS\\] cannot read ${dataDir}/pki/kms\\.pem for --https-port ${httpsPort}`,
      ),
    );
  } finally {
    await removeDataDir(dataDir);
  }
});

Deno.test("kms:enroll --cert-fingerprint enrolls a new SAE for mutual TLS only; certificates are refused for operators, and bad fingerprints or files with exit 2", async () => {
  const dataDir = testDataDir();
  const enrollWith = (args: string[]) =>
    run("kms-admin", ["kms/enroll.ts", "--data", dataDir, ...args]);
  try {
    const fingerprint = Array.from({ length: 32 }, () => "AB").join(":");
    const fresh = await enrollWith([
      "SAE_N",
      "--cert-fingerprint",
      fingerprint,
    ]);
    assertEquals(fresh.code, 0, fresh.out);
    assertMatch(
      fresh.out,
      new RegExp(
        `Enrolled SAE_N \\(role device\\) for ETSI 014 over mutual TLS only, certificate sha256 ${
          "ab".repeat(32)
        }; no bearer token`,
      ),
    );
    const bad = await enrollWith(["SAE_N", "--cert-fingerprint", "12:34"]);
    assertEquals(bad.code, 2);
    assertMatch(bad.out, /64 hex digits/);
    const missing = await enrollWith([
      "SAE_N",
      "--cert",
      `${dataDir}/nope.pem`,
    ]);
    assertEquals(missing.code, 2);
    assertMatch(missing.out, /is not a readable PEM certificate/);
    assertEquals((await enrollWith(["Ops", "--role", "operator"])).code, 0);
    const operator = await enrollWith([
      "Ops",
      "--cert-fingerprint",
      "cd".repeat(32),
    ]);
    assertEquals(operator.code, 2);
    assertMatch(operator.out, /Ops is an operator: certificates are for SAEs/);
  } finally {
    await removeDataDir(dataDir);
  }
});
