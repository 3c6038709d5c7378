/**
 * `deno task kms:enroll` as a real process with its permission set
 * (kms-admin), against a real KMS started secure (the default).
 */

import { assert, assertEquals, assertMatch } from "@std/assert";
import { PROJECT_ROOT } from "../common/service_process.ts";
import { generateIdentity, parseCredentials } from "../protocol/mod.ts";
import { removeDataDir, startKms, testDataDir } from "./_test_kms.ts";

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;

async function runEnroll(dataDir: string, args: string[]) {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-P=kms-admin", "kms/enroll.ts", ...args],
    cwd: PROJECT_ROOT,
    env: { KMS_DATA: dataDir, NO_COLOR: "1" },
  }).output();
  const decoder = new TextDecoder();
  return { code, out: decoder.decode(stdout), err: decoder.decode(stderr) };
}

Deno.test("--credentials writes a 0600 file in a 0700 folder that parseCredentials reads, and prints no token", async () => {
  const dataDir = testDataDir();
  const folder = `credentials/test-${crypto.randomUUID().slice(0, 8)}`;
  const file = `${folder}/Soldier_Alpha.json`;
  try {
    const alpha = await runEnroll(dataDir, [
      "Soldier_Alpha",
      "--credentials",
      file,
    ]);
    assertEquals(alpha.code, 0, alpha.err);
    assertEquals(
      alpha.out.trim(),
      `Enrolled Soldier_Alpha (role device). Credentials written to ${file} (mode 0600).`,
    );
    assertEquals((await Deno.stat(PROJECT_ROOT + file)).mode! & 0o777, 0o600);
    assertEquals((await Deno.stat(PROJECT_ROOT + folder)).mode! & 0o777, 0o700);
    const parsed = parseCredentials(
      await Deno.readTextFile(PROJECT_ROOT + file),
    );
    if (!parsed.ok) throw new Error(parsed.reason);
    assertEquals(parsed.credentials.device_id, "Soldier_Alpha");
    assertEquals(parsed.credentials.role, "device");
    assert(!alpha.out.includes(parsed.credentials.token));
    // An existing file readable by others is narrowed before the token goes in.
    const opFile = `${folder}/Operator.json`;
    await Deno.writeTextFile(PROJECT_ROOT + opFile, "old", { mode: 0o644 });
    await Deno.chmod(PROJECT_ROOT + opFile, 0o644);
    const op = await runEnroll(dataDir, [
      "Operator",
      "--role",
      "operator",
      "--credentials",
      opFile,
    ]);
    assertEquals(op.code, 0, op.err);
    assertEquals((await Deno.stat(PROJECT_ROOT + opFile)).mode! & 0o777, 0o600);
    const operator = parseCredentials(
      await Deno.readTextFile(PROJECT_ROOT + opFile),
    );
    assertEquals(operator.ok && operator.credentials.role, "operator");

    const kms = await startKms({ dataDir, open: false });
    try {
      assertMatch(kms.process.output, /bearer tokens required/);
      assert(!kms.process.output.includes("WARNING: --open"));
      assertEquals((await kms.get("/healthz")).body.auth, "required");
      const pub = await Deno.readTextFile(
        `${PROJECT_ROOT}${dataDir}/ticket_key.pub`,
      );
      assertEquals(pub.trim(), (await kms.get("/ticket_key")).body.public_key);
      assertEquals(
        (await Deno.stat(`${PROJECT_ROOT}${dataDir}/ticket_key`)).mode! & 0o777,
        0o600,
      );
      const auth = { authorization: `Bearer ${parsed.credentials.token}` };
      const ask = async (public_key: string) =>
        (await kms.post("/relay_ticket", {
          device_id: "Soldier_Alpha",
          public_key,
        }, auth)).status;
      const key1 = (await generateIdentity()).publicKey.toBase64(BASE64URL);
      const key2 = (await generateIdentity()).publicKey.toBase64(BASE64URL);
      assertEquals(await ask(key1), 200);
      assertEquals(await ask(key2), 409);
      assertEquals(
        (await kms.post("/reset", {}, auth)).status,
        403,
        "a device's credential is no operator's",
      );
      if (!operator.ok) throw new Error(operator.reason);
      assertEquals(
        (await kms.post("/reset", {}, {
          authorization: `Bearer ${operator.credentials.token}`,
        })).status,
        200,
      );
      // Re-enrolling (printing the token) replaces it and forgets the key.
      const again = await runEnroll(dataDir, ["Soldier_Alpha"]);
      assertEquals(again.code, 0, again.err);
      assertEquals(await ask(key1), 401, "the old token is gone");
      auth.authorization = `Bearer ${again.out.trim().split("\n").at(-1)}`;
      assertEquals(await ask(key2), 200, "the new key binds");
      await kms.stop();
      assertMatch(
        kms.process.output,
        /\[RESET\] actor=Operator source=127\.0\.0\.1:\d+ attack=off history=cleared status=GREEN/,
      );
      assert(!kms.process.output.includes(parsed.credentials.token));
    } finally {
      await kms.stop();
    }
  } finally {
    await removeDataDir(dataDir);
    await Deno.remove(PROJECT_ROOT + folder, { recursive: true }).catch(
      () => {},
    );
  }
});

Deno.test("kms:enroll refuses a bad role, a bad public key and a bad name with exit 2", async () => {
  const dataDir = testDataDir();
  try {
    const role = await runEnroll(dataDir, ["A", "--role", "admin"]);
    assertEquals(role.code, 2);
    assertMatch(role.err, /--role must be device or operator/);
    const key = await runEnroll(dataDir, ["A", "--public-key", "AAAA"]);
    assertEquals(key.code, 2);
    assertMatch(key.err, /32-byte Ed25519 public key in base64url/);
    assertEquals((await runEnroll(dataDir, ["bad name!"])).code, 2);
    const pub = (await generateIdentity()).publicKey.toBase64(BASE64URL);
    const bound = await runEnroll(dataDir, ["A", "--public-key", pub]);
    assertEquals(bound.code, 0, bound.err);
  } finally {
    await removeDataDir(dataDir);
  }
});
