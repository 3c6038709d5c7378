/**
 * The client's settings: flags, the seed's start-up questions for whatever
 * the flags left out, and the `--help` text.
 *
 * @module
 */

import { ConfigError } from "../common/cli.ts";
import { parseArgs } from "../common/std.ts";
import { isDeviceId, parseCredentials } from "../protocol/mod.ts";
import { DEFAULT_MAX_FILE_BYTES } from "./attachments.ts";
import { DEFAULT_STATE_DIR } from "./client_state.ts";
import { COMMANDS_HELP } from "./commands.ts";

/** The seed's KMS address. */
export const DEFAULT_KMS_URL = "http://192.168.1.100:8000";
/** The seed's relay address. */
export const DEFAULT_RELAY_URL = "ws://192.168.1.100:8765";
const RELAY_PORT = 8765;

/** Everything the client needs to start. */
export interface ClientConfig {
  /** This device, e.g. `Soldier_Alpha`. */
  deviceId: string;
  /** The device to talk to, e.g. `Soldier_Bravo`. */
  peerId: string;
  /** KMS base URL (http or https). */
  kmsUrl: string;
  /** Relay URL (ws or wss). */
  relayUrl: string;
  /** Largest attachment sent or received, in bytes. */
  maxFileBytes: number;
  /**
   * This device's KMS token (`deno task kms:enroll DEVICE`), which a KMS
   * not started with `--open` requires.
   */
  token?: string;
  /** When the terminal bell rings (`--bell`); default `all`. */
  bell?: BellMode;
}

/**
 * When the client rings the terminal bell: on every incoming message and
 * alarm (`all`), on alarms only (`alerts`: the link RED, tampering, a
 * changed identity key), or never (`off`).
 */
export type BellMode = "all" | "alerts" | "off";

/** The given settings: flags, then a credentials file's. */
export type GivenConfig = Partial<ClientConfig> & { maxFileBytes: number };

/** Outcome of {@linkcode parseClientArgs}. */
export type ParsedArgs =
  | {
    /** `--help` was given. */
    help: true;
  }
  | {
    /** Run the client. */
    help: false;
    /** The settings given as flags; the rest are asked. */
    config: GivenConfig;
    /** The state folder (`--state`), holding one folder per device. */
    stateDir: string;
    /** The credentials file (`--credentials`), if given. */
    credentials?: string;
  };

/** The `--help` text. */
export const HELP_TEXT = `QSTCS soldier's chat client

Usage: deno task client [options]        (or: qstcs-client [options])

  --device ID        this device, e.g. Soldier_Alpha
  --peer ID          the device to talk to, e.g. Soldier_Bravo
  --kms URL          Key Management Service (default ${DEFAULT_KMS_URL})
  --relay URL        chat relay (default ${DEFAULT_RELAY_URL})
  --credentials FILE this device's credentials from the KMS host (made by:
                     deno task kms:enroll DEVICE --credentials credentials/DEVICE.json);
                     gives --device too
  --token TOKEN      this device's KMS token instead (or env QSTCS_KMS_TOKEN)
  --state DIR        where the device's identity key and pinned keys live
                     (default ${DEFAULT_STATE_DIR}/, one folder per device, mode 0700)
  --max-file-mib N   largest attachment sent or received (default ${
  DEFAULT_MAX_FILE_BYTES / (1024 * 1024)
})
  --bell WHEN        ring the terminal bell: all (each message and alarm,
                     the default), alerts (the link RED, tampering), off
  --help             this text

Settings not given as flags are asked for at start (read line by line from
stdin, so answers can be piped). Type a line and press Enter to send it.

${COMMANDS_HELP}

How it works: the client fetches a key K from the KMS, wrapped to a fresh
ML-KEM-768 key pair so that K never crosses the network in clear. Under K it
runs an ML-KEM-768 exchange with the peer through the relay, and encrypts
every message with AES-256-GCM under H = HKDF(K || ML-KEM secret). Every
line gets a relay ack (delivered, queued, dropped) and stays queued until
the peer's encrypted receipt arrives: lines typed while disconnected or
while the link is RED are sent after reconnection and re-key, exactly once.
The client polls the KMS's link status every 3 s: while it is RED chat is
suspended; when GREEN again the client re-keys and resumes. Ctrl-D (end of
input) waits up to 10 s for receipts, then exits.

Identity: at first start the client makes the device's Ed25519 identity key
pair (WebCrypto) in --state; the KMS certifies its public key in a relay
ticket, which the client presents to the relay and in every handshake,
renewed before it expires. kem_offer and kem_reply are signed with the
identity key; the peer checks the ticket against the KMS's ticket key and
the signature, and pins the peer's key on first use (as SSH and Signal do).
A changed key stops chat with that peer until /trust; /verify prints the
safety number to compare by voice.

What it protects against: a relay (or anyone on the network) cannot read,
alter, replay or forge messages, nor take this device's name at a relay
that requires tickets. A KMS and a relay that cooperate cannot swap the
ML-KEM keys unnoticed: the signatures fail. A KMS that only watches key
delivery and relayed traffic cannot read messages, since it never learns
the ML-KEM secret.
What it does not protect against: a KMS that certifies an impostor's key
for a device this client has never talked to, together with the relay
(trust on first use: compare /verify once by voice to close that gap); a
KMS that issues no tickets (an older one: the client says so, and the
handshake is authenticated only by K); a compromised laptop. Traffic
analysis (who talks to whom, when, how much) is visible to the relay.
Authentication is classical (Ed25519); the key exchange is hybrid
post-quantum (ML-KEM-768 with the QKD key).

Files: reads attachments under the working directory and --credentials;
writes downloads/ and the state folder.
Environment: NO_COLOR disables colours; output is plain when stdout is not
a terminal.`;
/**
 * Reads the flags.
 *
 * @throws {ConfigError} for an unknown flag or a bad value.
 *
 * @example
 * ```ts
 * import { parseClientArgs } from "./config.ts";
 * const parsed = parseClientArgs(["--device", "Soldier_Alpha"]);
 * if (!parsed.help) console.log(parsed.config.deviceId); // "Soldier_Alpha"
 * ```
 */
export function parseClientArgs(
  args: string[],
  options: { env?: (name: string) => string | undefined } = {},
): ParsedArgs {
  const flags = parseArgs(args, {
    string: [
      "device",
      "peer",
      "kms",
      "relay",
      "max-file-mib",
      "token",
      "state",
      "credentials",
      "bell",
    ],
    boolean: ["help"],
    unknown: (arg: string) => {
      throw new ConfigError(`unknown argument ${arg} (see --help)`);
    },
  });
  if (flags.help) return { help: true };
  const config: GivenConfig = { maxFileBytes: DEFAULT_MAX_FILE_BYTES };
  if (flags.device !== undefined) config.deviceId = checkDevice(flags.device);
  if (flags.peer !== undefined) config.peerId = checkDevice(flags.peer);
  if (flags.kms !== undefined) config.kmsUrl = checkUrl(flags.kms, "http");
  if (flags.relay !== undefined) config.relayUrl = checkUrl(flags.relay, "ws");
  if (flags.bell !== undefined) {
    if (!["all", "alerts", "off"].includes(flags.bell)) {
      throw new ConfigError("--bell must be all, alerts or off");
    }
    config.bell = flags.bell as BellMode;
  }
  // The environment keeps the token out of the process list.
  const token = flags.token ?? options.env?.("QSTCS_KMS_TOKEN");
  if (token !== undefined) config.token = checkToken(token);
  if (flags["max-file-mib"] !== undefined) {
    const mib = Number(flags["max-file-mib"]);
    // A limit under one KiB would refuse every attachment.
    if (!(mib >= 1 / 1024 && mib <= 1024)) {
      throw new ConfigError(
        "--max-file-mib must be a number from 0.001 to 1024",
      );
    }
    config.maxFileBytes = Math.floor(mib * 1024 * 1024);
  }
  if (config.deviceId !== undefined && config.deviceId === config.peerId) {
    throw new ConfigError("--peer must differ from --device");
  }
  if (flags.credentials !== undefined && flags.token !== undefined) {
    throw new ConfigError("give --credentials or --token, not both");
  }
  const stateDir = (flags.state ?? DEFAULT_STATE_DIR).replace(/\/+$/, "");
  if (stateDir === "") throw new ConfigError("--state needs a folder");
  return {
    help: false,
    config,
    stateDir,
    ...(flags.credentials === undefined
      ? {}
      : { credentials: flags.credentials }),
  };
}

/**
 * Adds a credentials file's device id and token to the flags' settings
 * (its token over the environment's).
 *
 * @throws {ConfigError} when the file cannot be read, is not a device's
 * credentials, or names another device than `--device`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { withCredentials } from "./config.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, '{"device_id":"Soldier_Alpha","token":"t0k3n-0123456789","role":"device"}');
 * const config = await withCredentials({ maxFileBytes: 1 }, path);
 * assertEquals([config.deviceId, config.token], ["Soldier_Alpha", "t0k3n-0123456789"]);
 * await Deno.remove(path);
 * ```
 */
export async function withCredentials(
  given: GivenConfig,
  path: string,
): Promise<GivenConfig> {
  let text;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new ConfigError(
      `cannot read --credentials ${path}: ${(error as Error).message}`,
    );
  }
  const read = parseCredentials(text);
  if (!read.ok) {
    throw new ConfigError(`--credentials ${path}: ${read.reason}`);
  }
  const { device_id, token, role } = read.credentials;
  if (role !== "device") {
    throw new ConfigError(
      `--credentials ${path} is an operator's: chat needs a device's (kms:enroll DEVICE --role device)`,
    );
  }
  if (given.deviceId !== undefined && given.deviceId !== device_id) {
    throw new ConfigError(
      `--credentials ${path} is ${device_id}'s, not --device ${given.deviceId}'s`,
    );
  }
  if (given.peerId === device_id) {
    throw new ConfigError("--peer must differ from the credentials' device");
  }
  return { ...given, deviceId: device_id, token };
}

/**
 * Asks for every setting the flags left out, as the seed does, re-asking
 * after a bad answer. `ask` shows a question and resolves with the typed
 * line, or `null` at the end of input; `report` shows a bad answer's reason.
 *
 * @throws {ConfigError} when input ends before every setting is known.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { completeConfig } from "./config.ts";
 *
 * const answers = ["Soldier_Alpha", "Soldier_Bravo", "", ""];
 * const config = await completeConfig({ maxFileBytes: 1 }, {
 *   ask: () => Promise.resolve(answers.shift() ?? null),
 *   report: (problem) => {
 *     throw new Error(problem);
 *   },
 * });
 * assertEquals(config.kmsUrl, "http://192.168.1.100:8000");
 * ```
 */
export async function completeConfig(
  given: GivenConfig,
  io: {
    ask: (question: string) => Promise<string | null>;
    report: (problem: string) => void;
  },
): Promise<ClientConfig> {
  const answer = async <T>(
    question: string,
    check: (text: string) => T,
  ): Promise<T> => {
    while (true) {
      const text = await io.ask(question);
      if (text === null) {
        throw new ConfigError(
          `no answer to "${question.trim()}" (end of input)`,
        );
      }
      try {
        return check(text.trim());
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        io.report(error.message);
      }
    }
  };
  const deviceId = given.deviceId ??
    await answer("Device ID (e.g. Soldier_Alpha): ", checkDevice);
  const counterpart = defaultPeer(deviceId);
  const peerId = given.peerId ??
    await answer(
      counterpart
        ? `Peer device ID [${counterpart}]: `
        : "Peer device ID (e.g. Soldier_Bravo): ",
      (text) => {
        const peer = checkDevice(text || counterpart || "");
        if (peer === deviceId) {
          throw new ConfigError("the peer must be another device");
        }
        return peer;
      },
    );
  const kmsUrl = given.kmsUrl ??
    await answer(
      `KMS URL [${DEFAULT_KMS_URL}]: `,
      (text) => checkUrl(text || DEFAULT_KMS_URL, "http"),
    );
  // The relay usually runs on the KMS's host.
  const relayDefault = `ws://${new URL(kmsUrl).hostname}:${RELAY_PORT}`;
  const relayUrl = given.relayUrl ??
    await answer(
      `Relay URL [${relayDefault}]: `,
      (text) => checkUrl(text || relayDefault, "ws"),
    );
  return {
    deviceId,
    peerId,
    kmsUrl,
    relayUrl,
    maxFileBytes: given.maxFileBytes,
    ...(given.token === undefined ? {} : { token: given.token }),
    ...(given.bell === undefined ? {} : { bell: given.bell }),
  };
}

function checkToken(text: string): string {
  // A header value: printable ASCII, no spaces.
  if (!/^[\x21-\x7e]{16,512}$/.test(text)) {
    throw new ConfigError(
      "--token must be the token kms:enroll printed (better: --credentials FILE)",
    );
  }
  return text;
}

// The demo's two soldiers: each one's peer is the other.
function defaultPeer(deviceId: string): string | undefined {
  if (deviceId.endsWith("_Alpha")) return deviceId.replace(/_Alpha$/, "_Bravo");
  if (deviceId.endsWith("_Bravo")) return deviceId.replace(/_Bravo$/, "_Alpha");
  return undefined;
}

function checkDevice(text: string): string {
  if (text === "") {
    throw new ConfigError("type a device id, e.g. Soldier_Bravo");
  }
  if (!isDeviceId(text)) {
    throw new ConfigError(
      `"${text}" is not a device id: 1 to 64 of A-Z a-z 0-9 _ . -`,
    );
  }
  return text;
}

function checkUrl(given: string, scheme: "http" | "ws"): string {
  // host:port alone: the scheme is added.
  const text = /^[a-z][a-z\d+.-]*:\/\//i.test(given)
    ? given
    : `${scheme}://${given}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`"${text}" is not a URL`);
  }
  if (url.protocol !== `${scheme}:` && url.protocol !== `${scheme}s:`) {
    throw new ConfigError(
      `"${text}" must start with ${scheme}:// or ${scheme}s://`,
    );
  }
  return text.replace(/\/+$/, "");
}
