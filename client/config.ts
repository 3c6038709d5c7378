/**
 * The client's settings: flags, the seed's start-up questions for whatever
 * the flags left out, and the `--help` text.
 *
 * @module
 */

import { ConfigError } from "../common/cli.ts";
import { parseArgs } from "../common/std.ts";
import {
  checkRoomName,
  isDeviceId,
  isRoomCapacity,
  MAX_ROOM_CAPACITY,
  MIN_ROOM_CAPACITY,
  parseCredentials,
} from "../protocol/mod.ts";
import { DEFAULT_MAX_FILE_BYTES } from "./attachments.ts";
import { DEFAULT_STATE_DIR } from "./client_state.ts";
import { checkRelays, checkUrl } from "./config_urls.ts";

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
  /** Relay URL (ws or wss); the first of `relayUrls` if several. */
  relayUrl: string;
  /** Relays to fail over between, in order (`--relay URL1,URL2`). */
  relayUrls?: string[];
  /** Largest attachment sent or received, in bytes. */
  maxFileBytes: number;
  /**
   * This device's KMS token (`deno task kms:enroll DEVICE`), which a KMS
   * not started with `--open` requires.
   */
  token?: string;
  /** When the terminal bell rings (`--bell`); default `all`. */
  bell?: BellMode;
  /** The room to join at start (`--room NAME[:CAPACITY]`). */
  room?: RoomChoice;
  /**
   * The command recording voice notes (`--recorder`), with `{file}` and
   * `{seconds}`; default: the first of `arecord`, `rec`, `sox` on PATH.
   */
  recorder?: string;
}

/** A room to join, with the capacity to create it with if it is new. */
export interface RoomChoice {
  /** Its name (`checkRoomName`). */
  room: string;
  /** Seats, when this device creates it. */
  expected?: number;
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
      "room",
      "recorder",
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
  if (flags.relay !== undefined) {
    Object.assign(config, checkRelays(flags.relay));
  }
  if (flags.bell !== undefined) {
    if (!["all", "alerts", "off"].includes(flags.bell)) {
      throw new ConfigError("--bell must be all, alerts or off");
    }
    config.bell = flags.bell as BellMode;
  }
  if (flags.room !== undefined) config.room = checkRoom(flags.room);
  if (flags.recorder !== undefined) {
    if (!flags.recorder.includes("{file}")) {
      throw new ConfigError(
        "--recorder must name the output file as {file} (and may use {seconds})",
      );
    }
    config.recorder = flags.recorder;
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
  const relays = given.relayUrl !== undefined
    ? { relayUrl: given.relayUrl, relayUrls: given.relayUrls }
    : await answer(
      // URL1,URL2 too: relays to fail over between (see --help).
      `Relay URL [${relayDefault}]: `,
      (text) => checkRelays(text || relayDefault),
    );
  return {
    deviceId,
    peerId,
    kmsUrl,
    relayUrl: relays.relayUrl,
    ...(relays.relayUrls === undefined ? {} : { relayUrls: relays.relayUrls }),
    maxFileBytes: given.maxFileBytes,
    ...(given.token === undefined ? {} : { token: given.token }),
    ...(given.bell === undefined ? {} : { bell: given.bell }),
    ...(given.room === undefined ? {} : { room: given.room }),
    ...(given.recorder === undefined ? {} : { recorder: given.recorder }),
  };
}

/**
 * Reads `NAME` or `NAME:CAPACITY` (`--room`, `/join`'s `NAME CAPACITY`).
 *
 * @throws {ConfigError} with a sentence for a bad name or capacity.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { checkRoom } from "./config.ts";
 * assertEquals(checkRoom("squad1:4"), { room: "squad1", expected: 4 });
 * assertEquals(checkRoom("squad1"), { room: "squad1" });
 * assertThrows(() => checkRoom("squad1:99"), Error, "2 to 16");
 * ```
 */
export function checkRoom(text: string): RoomChoice {
  const colon = text.lastIndexOf(":");
  const name = colon < 0 ? text : text.slice(0, colon);
  const checked = checkRoomName(name);
  if (!checked.ok) throw new ConfigError(checked.message);
  if (colon < 0) return { room: checked.room };
  const expected = Number(text.slice(colon + 1));
  if (!isRoomCapacity(expected) || text.slice(colon + 1).trim() === "") {
    throw new ConfigError(
      `room capacity must be a whole number from ${MIN_ROOM_CAPACITY} to ${MAX_ROOM_CAPACITY}`,
    );
  }
  return { room: checked.room, expected };
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
