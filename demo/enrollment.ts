/**
 * The demo's identities at the KMS: two soldiers' devices and the operator,
 * enrolled by `deno task kms:enroll NAME --role ROLE --credentials FILE` as a
 * child process with the kms-admin permission set, so each token goes
 * straight into a credentials file (mode 0600, folder 0700) and never onto a
 * command line or into this process's output.
 *
 * @module
 */

import { PROJECT_ROOT } from "../common/service_process.ts";
import { parseCredentials, type Role } from "../protocol/credentials.ts";

/** One identity the demo enrolls. */
export interface DemoIdentity {
  /** Its enrolled name. */
  name: string;
  /** What it may do at the KMS. */
  role: Role;
}

/** The soldiers' devices (a squad room of three) and the dashboard's operator. */
export const DEMO_IDENTITIES: readonly DemoIdentity[] = [
  { name: "Soldier_Alpha", role: "device" },
  { name: "Soldier_Bravo", role: "device" },
  { name: "Soldier_Charlie", role: "device" },
  { name: "Operator", role: "operator" },
];

/** The credentials folder unless told otherwise (gitignored). */
export const DEFAULT_CREDENTIALS_DIR = "credentials";

/**
 * Where `name`'s credentials file goes in `dir`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { credentialsFile } from "./enrollment.ts";
 *
 * assertEquals(credentialsFile("credentials", "Operator"), "credentials/Operator.json");
 * ```
 */
export function credentialsFile(dir: string, name: string): string {
  return `${dir}/${name}.json`;
}

/**
 * The `kms:enroll` command line for `identity`, as a person would type it
 * (through its task) and as the demo runs it (`deno run -P=kms-admin`).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { enrollArgs } from "./enrollment.ts";
 *
 * assertEquals(
 *   enrollArgs({ name: "Operator", role: "operator" }, { dataDir: "data/kms", credentialsDir: "credentials" }),
 *   ["Operator", "--role", "operator", "--credentials", "credentials/Operator.json", "--data", "data/kms"],
 * );
 * ```
 */
export function enrollArgs(
  identity: DemoIdentity,
  options: { dataDir: string; credentialsDir: string },
): string[] {
  return [
    identity.name,
    "--role",
    identity.role,
    "--credentials",
    credentialsFile(options.credentialsDir, identity.name),
    "--data",
    options.dataDir,
  ];
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(`${PROJECT_ROOT}${path}`);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** What {@linkcode enrollDemo} did for one identity. */
export interface EnrollOutcome {
  /** The identity. */
  identity: DemoIdentity;
  /** Its credentials file. */
  file: string;
  /** Whether it was enrolled now (false: an earlier enrollment was kept). */
  enrolled: boolean;
}

/**
 * Enrolls each of {@linkcode DEMO_IDENTITIES} whose credentials file is
 * missing, and all of them when the KMS data directory is new (its
 * database, and so every earlier token, is gone). Kept files keep working
 * on the soldiers' laptops across demo restarts. Fails with kms:enroll's
 * own words if it fails.
 */
export async function enrollDemo(
  options: { dataDir: string; credentialsDir: string; signal?: AbortSignal },
): Promise<EnrollOutcome[]> {
  const freshKms = !await exists(options.dataDir);
  const outcomes: EnrollOutcome[] = [];
  for (const identity of DEMO_IDENTITIES) {
    const file = credentialsFile(options.credentialsDir, identity.name);
    if (!freshKms && await exists(file)) {
      outcomes.push({ identity, file, enrolled: false });
      continue;
    }
    await runAdmin("kms-admin", {
      args: ["kms/enroll.ts", ...enrollArgs(identity, options)],
      what: `deno task kms:enroll ${identity.name}`,
      signal: options.signal,
    });
    outcomes.push({ identity, file, enrolled: true });
  }
  return outcomes;
}

// Runs one of the KMS's admin tasks as a child process with its permission
// set; fails with the task's own words if it fails.
async function runAdmin(
  permissionSet: string,
  options: { args: string[]; what: string; signal?: AbortSignal },
): Promise<void> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", `-P=${permissionSet}`, ...options.args],
    cwd: PROJECT_ROOT,
    env: { NO_COLOR: "1" },
    stdout: "null",
    stderr: "piped",
    signal: options.signal,
  }).output();
  options.signal?.throwIfAborted();
  if (code !== 0) {
    throw new Error(
      `${options.what} failed:\n${new TextDecoder().decode(stderr).trim()}`,
    );
  }
}

/** The SAEs of the demo's ETSI GS QKD 014 example over mutual TLS. */
export const DEMO_SAES: readonly string[] = ["SAE_A", "SAE_B"];

/**
 * Makes the demo PKI in `DATA/pki` with `deno task kms:pki SAE_A SAE_B`
 * where a file of it is missing (an existing CA is kept), and binds each
 * SAE's certificate with `kms:enroll SAE --cert FILE`, so the KMS serves
 * ETSI 014 over mutual TLS. Returns the PKI folder.
 */
export async function prepareEtsiTls(
  options: { dataDir: string; signal?: AbortSignal },
): Promise<string> {
  const pki = `${options.dataDir}/pki`;
  const files = ["ca.pem", "kms.pem", "kms.key"].concat(
    DEMO_SAES.flatMap((sae) => [`${sae}.pem`, `${sae}.key`]),
  );
  const present = await Promise.all(files.map((f) => exists(`${pki}/${f}`)));
  if (present.includes(false)) {
    await runAdmin("kms-pki", {
      args: ["kms/pki.ts", "--out", pki, ...DEMO_SAES],
      what: "deno task kms:pki",
      signal: options.signal,
    });
  }
  for (const sae of DEMO_SAES) {
    await runAdmin("kms-admin", {
      args: [
        "kms/enroll.ts",
        sae,
        "--cert",
        `${pki}/${sae}.pem`,
        "--data",
        options.dataDir,
      ],
      what: `deno task kms:enroll ${sae} --cert`,
      signal: options.signal,
    });
  }
  return pki;
}

/**
 * The bearer token in a credentials file under the project root, for the
 * tour's operator calls (read here, sent in a header, never printed).
 */
export async function readToken(file: string): Promise<string> {
  const parsed = parseCredentials(
    await Deno.readTextFile(`${PROJECT_ROOT}${file}`),
  );
  if (!parsed.ok) throw new Error(`${file}: ${parsed.reason}`);
  return parsed.credentials.token;
}
