/**
 * `deno task demo`: enrolls two soldiers' devices and the operator at the
 * KMS (credentials files under credentials/), starts the KMS (tokens
 * required), the relay (tickets required) and the dashboard (operator login)
 * as three processes with their own permission sets, prints where everything
 * is and how to start two soldiers' clients and the router guard. Ctrl-C
 * stops all. `--tour` plays the three-act demo script by itself.
 *
 * @module
 */

import { errorMessage } from "../common/error_message.ts";
import { ConfigError, parsePort } from "../common/cli.ts";
import { parseArgs } from "../common/std.ts";
import { permissionFlags } from "./permissions.ts";
import { PROJECT_ROOT } from "../common/service_process.ts";
import {
  DEFAULT_DATA_DIR,
  DEFAULT_PORTS,
  type Stack,
  type StackPorts,
  startStack,
} from "./stack.ts";
import { runTour } from "./tour.ts";
import {
  credentialsFile,
  DEFAULT_CREDENTIALS_DIR,
  type EnrollOutcome,
} from "./enrollment.ts";

/** The tour's clients' state folder unless told otherwise. */
const DEFAULT_STATE_DIR = "state";

const USAGE = `QSTCS demo: KMS, relay and dashboard in one terminal.

Usage: deno task demo [--tour] [--host HOST] [--ports KMS,RELAY,DASHBOARD]
                      [--data DIR] [--credentials DIR] [--state DIR]

  --tour        play the seed's three acts by themselves, with narration
                (also: deno task tour)
  --host HOST   listen address for all three services (default 0.0.0.0)
  --ports P,P,P ports of the KMS, relay and dashboard (default 8000,8765,8501)
  --data DIR    the KMS's data directory, under data/ (default data/kms)
  --credentials DIR
                where the enrolled credentials files go, under credentials/
                (default credentials): Soldier_Alpha.json, Soldier_Bravo.json,
                Soldier_Charlie.json and Operator.json, mode 0600. A file that exists is kept
                (delete it to enroll again), unless the data directory is new.
  --state DIR   the tour's clients' state folder, under state/ (default state)

The BB84 quantum channel is a classical simulation; AES-256-GCM, HKDF,
ML-KEM-768 and the router's iptables rules are real.`;

function lanAddress(): string | undefined {
  try {
    return Deno.networkInterfaces().find((i) =>
      i.family === "IPv4" && !i.address.startsWith("127.")
    )?.address;
  } catch {
    return undefined;
  }
}

/** Parses `--ports KMS,RELAY,DASHBOARD`. */
export function parsePorts(value: string | undefined): StackPorts {
  if (value === undefined) return DEFAULT_PORTS;
  const texts = value.split(",");
  if (texts.length !== 3 || texts.includes("0")) {
    throw new ConfigError(
      `--ports needs three ports KMS,RELAY,DASHBOARD, got ${value}`,
    );
  }
  const [kms, relay, dashboard] = texts.map((text) =>
    parsePort(text, { name: "--ports" })
  );
  return { kms, relay, dashboard };
}

/**
 * `value` as a normalised relative path inside the folder `root` (or `root`
 * itself, with `orRoot`); anywhere else is a {@linkcode ConfigError} saying
 * `refusal`.
 */
function folderUnder(
  value: string,
  options: { root: string; orRoot?: boolean; refusal: string },
): string {
  const parts: string[] = [];
  let escapes = value.startsWith("/");
  for (const part of value.split("/")) {
    if (part === "" || part === ".") continue;
    if (part !== "..") parts.push(part);
    else if (parts.pop() === undefined) escapes = true;
  }
  const deepEnough = parts.length >= (options.orRoot ? 1 : 2);
  if (escapes || parts[0] !== options.root || !deepEnough) {
    throw new ConfigError(`${options.refusal}, got ${value}`);
  }
  return parts.join("/");
}

/**
 * Parses `--data DIR` into a normalised path under data/: the KMS's
 * permission set may read and write only there, so anything else would end
 * in a permission error inside the KMS instead of a clear message here.
 */
export function parseDataDir(value: string | undefined): string {
  return value === undefined ? DEFAULT_DATA_DIR : folderUnder(value, {
    root: "data",
    refusal:
      `--data needs a directory under data/ (the only place the KMS may write), e.g. ${DEFAULT_DATA_DIR}`,
  });
}

/**
 * Parses `--credentials DIR`: `credentials` or a folder under it, where
 * kms:enroll may write and the dashboard may read.
 */
export function parseCredentialsDir(value: string | undefined): string {
  return value === undefined ? DEFAULT_CREDENTIALS_DIR : folderUnder(value, {
    root: DEFAULT_CREDENTIALS_DIR,
    orRoot: true,
    refusal:
      "--credentials needs credentials/ or a folder under it (where kms:enroll may write and the dashboard read)",
  });
}

/** Parses `--state DIR`: `state` or a folder under it, where clients may write. */
export function parseStateDir(value: string | undefined): string {
  return value === undefined ? DEFAULT_STATE_DIR : folderUnder(value, {
    root: DEFAULT_STATE_DIR,
    orRoot: true,
    refusal:
      "--state needs state/ or a folder under it (where clients may write)",
  });
}

function printEnrolled(outcomes: EnrollOutcome[]): void {
  for (const { identity, file, enrolled } of outcomes) {
    console.log(
      enrolled
        ? `[demo] enrolled ${identity.name} (${identity.role}): ${file}`
        : `[demo] kept ${file} (${identity.role}; delete it to enroll ${identity.name} again)`,
    );
  }
}

function printInstructions(
  stack: Stack,
  host: string,
  ports: StackPorts,
): void {
  const address = host === "0.0.0.0" ? lanAddress() ?? "localhost" : host;
  const kms = `http://${address}:${ports.kms}`;
  const relay = `ws://${address}:${ports.relay}`;
  // The guard's own defaults are the default ports; naming the ports always
  // keeps it right when --ports moved them.
  const guard =
    `KMS_HOST=${address} KMS_PORT=${ports.kms} CHAT_PORT=${ports.relay}`;
  const file = (name: string) => credentialsFile(stack.credentialsDir, name);
  const client = (name: string, peer: string) =>
    `--credentials ${file(name)} --peer ${peer} --kms ${kms} --relay ${relay}`;
  console.log(`
[demo] ─────────────────────────────────────────────────────────────
[demo] Dashboard  ${stack.dashboardUrl}   (LAN: http://${address}:${ports.dashboard})
[demo] KMS        ${stack.kmsUrl}   (LAN: ${kms})
[demo] Relay      ${stack.relayUrl}   (LAN: ${relay})${etsiLines(stack)}
[demo]
[demo] Soldier Alpha (this machine, or a laptop with the compiled client and a
[demo] copy of ${file("Soldier_Alpha")} at the same path, mode 0600):
[demo]   deno task client ${client("Soldier_Alpha", "Soldier_Bravo")}
[demo]   dist/qstcs-client ${client("Soldier_Alpha", "Soldier_Bravo")}
[demo] Soldier Bravo:
[demo]   deno task client ${client("Soldier_Bravo", "Soldier_Alpha")}
[demo] A squad room: each soldier adds --room squad1:3 (or types /join squad1 3);
[demo] Soldier Charlie joins with
[demo]   deno task client ${
    client("Soldier_Charlie", "Soldier_Alpha")
  } --room squad1:3
[demo] (Deno only through npm? "npm run deno -- task client ..." runs the pinned one.)
[demo] The tokens stay in the credentials files: never on a command line.
[demo] Router guard (on the OpenWrt router, as root):
[demo]   scp -O router/router_guard.sh root@192.168.1.1:/tmp/
[demo]   ssh root@192.168.1.1 "${guard} sh /tmp/router_guard.sh"
[demo] Force Attack and Reset: on the dashboard, logged in as Operator with the
[demo] token in ${file("Operator")}. The KMS refuses them without an
[demo] operator's token; a script sends it as "Authorization: Bearer TOKEN"
[demo] (curl -H @FILE reads it from a file, off the process list).
[demo] Ctrl-C stops everything.
[demo] ─────────────────────────────────────────────────────────────`);
}

// ETSI GS QKD 014 over mutual TLS: where, and one request as SAE_A with
// our Python SAE client (any ETSI 014 client takes the same files).
function etsiLines(stack: Stack): string {
  if (!stack.etsi) {
    return "\n[demo] ETSI 014   off (--ports moves the KMS; HTTPS is on 8443 by default)";
  }
  const { url, pki } = stack.etsi;
  const kme = new URL(url).host;
  return `
[demo] ETSI 014   ${url}   (mutual TLS; CA ${pki}/ca.pem)
[demo]   SAE_A and SAE_B: certificates ${pki}/SAE_A.pem, ${pki}/SAE_B.pem (bound)
[demo]   /usr/bin/python3 testing/etsi_sae_client.py --kme ${kme} --ca ${pki}/ca.pem \\
[demo]     --cert ${pki}/SAE_A.pem --key ${pki}/SAE_A.key enc_keys SAE_B`;
}

/** SIGINT or SIGTERM arrived: everything stops. */
class Interrupted extends Error {
  constructor(readonly signal: "SIGINT" | "SIGTERM") {
    super(`interrupted by ${signal}`);
    this.name = "Interrupted";
  }
}

/** One of the three services exited while it should have been running. */
class ServiceDied extends Error {
  constructor(
    readonly service: keyof Stack["services"],
    readonly status: Deno.CommandStatus,
  ) {
    super(`${service} exited unexpectedly (code ${status.code})`);
    this.name = "ServiceDied";
  }
}

/** Resolves with the name and status of the first service that exits. */
function firstExit(
  stack: Stack,
): Promise<[keyof Stack["services"], Deno.CommandStatus]> {
  return Promise.race(
    (Object.keys(stack.services) as (keyof Stack["services"])[]).map((name) =>
      stack.services[name].exited.then((status) =>
        [name, status] as [keyof Stack["services"], Deno.CommandStatus]
      )
    ),
  );
}

/** Resolves when `signal` aborts (at once if it has). */
function whenAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/**
 * The exit code after a signal. Ctrl-C is how the demo normally ends (0); a
 * tour that did not finish is not a pass, so it exits as shells report a
 * signal (128 + its number).
 */
function interruptedCode(reason: Interrupted, tour: boolean): number {
  return tour ? 128 + (reason.signal === "SIGINT" ? 2 : 15) : 0;
}

/** The exit code for a run that `reason` ended, after reporting it. */
function endedBy(reason: unknown, stack: Stack, tour: boolean): number {
  if (reason instanceof ServiceDied) {
    console.error(`[demo] ${reason.message}. Its last lines:`);
    console.error(
      stack.services[reason.service].tail(15).replace(
        /^/gm,
        `  ${reason.service}| `,
      ),
    );
    return 1;
  }
  if (!(reason instanceof Interrupted)) throw reason;
  if (tour) {
    console.log(`\n[tour] ${reason.message}: the tour did not finish.`);
  }
  return interruptedCode(reason, tour);
}

async function main(): Promise<number> {
  const flags = parseArgs(Deno.args, {
    boolean: ["tour", "help"],
    string: ["host", "ports", "data", "credentials", "state"],
    unknown: (arg: string) => {
      throw new ConfigError(`unknown argument ${arg} (see --help)`);
    },
  });
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const host = flags.host ?? "0.0.0.0";
  const ports = parsePorts(flags.ports);
  const dataDir = parseDataDir(flags.data);
  const credentialsDir = parseCredentialsDir(flags.credentials);
  const stateDir = parseStateDir(flags.state);
  const config = await Deno.readTextFile(`${PROJECT_ROOT}deno.json`);
  console.log(
    "[demo] QSTCS: simulated BB84 link (classical simulation); real AES-256-GCM, HKDF, ML-KEM-768",
  );
  // Handled from before anything starts: a signal at any moment, in the
  // demo or the tour, ends the run and stops the services instead of
  // leaving them running without us.
  const end = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => end.abort(new Interrupted(signal)));
  }
  let stack: Stack;
  try {
    stack = await startStack({
      host,
      ports,
      dataDir,
      credentialsDir,
      onEnrolled: printEnrolled,
      echo: !flags.tour,
      signal: end.signal,
      onCommand: (name, command, spec) => {
        console.log(`[demo] starting ${name}: ${command}`);
        const used = permissionFlags(config, spec.permissionSet, {
          net: spec.net,
          read: spec.read,
        });
        const replaced = [
          spec.net && "--allow-net",
          spec.read && "--allow-read",
        ]
          .filter(Boolean);
        const note = replaced.length > 0
          ? ` (${
            replaced.join(" and ")
          } from the command line, in place of the set's)`
          : "";
        console.log(`[demo]   permission set "${name}": ${used}${note}`);
      },
    });
  } catch (error) {
    // startStack stopped whatever it had started.
    const reason = end.signal.reason;
    if (!(reason instanceof Interrupted)) throw error;
    console.log(`\n[demo] ${reason.message} while starting; stopped.`);
    return interruptedCode(reason, flags.tour);
  }
  let stopping = false;
  firstExit(stack).then(([name, status]) => {
    if (!stopping) end.abort(new ServiceDied(name, status));
  });
  try {
    if (flags.tour) {
      return await runTour(stack, { stateDir, signal: end.signal });
    }
    printInstructions(stack, host, ports);
    await whenAborted(end.signal);
    return endedBy(end.signal.reason, stack, false);
  } catch (error) {
    if (!end.signal.aborted) throw error;
    return endedBy(end.signal.reason, stack, flags.tour);
  } finally {
    stopping = true;
    console.log("\n[demo] stopping KMS, relay and dashboard...");
    await stack.stop();
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    // A bad flag or a service that would not start (a port in use): one
    // clear message, not a stack trace.
    console.error(`[demo] ${errorMessage(error)}`);
    Deno.exit(error instanceof ConfigError ? 2 : 1);
  }
}
