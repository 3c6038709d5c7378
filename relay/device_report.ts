/**
 * `GET /devices`: the relay's read-only device report for the SOC dashboard,
 * served only with `Authorization: Bearer` of the admin token that
 * `--admin-token-file` names (without that flag the route does not exist).
 * Device names, times and counts only: the relay reads nothing else.
 *
 * @module
 */

import { sha256 } from "../quantum/mod.ts";
import type {
  RelayDevice,
  RelayDeviceReport,
} from "../protocol/relay_devices.ts";
import type { HubState } from "./hub_state.ts";

// Devices whose tallies are kept; past it the oldest name is forgotten, so
// an --open relay that sees endless new names keeps bounded memory.
const MAX_TALLIED_DEVICES = 10_000;
// Shorter tokens are typos or placeholders, not secrets.
const MIN_TOKEN_LENGTH = 16;

/**
 * Chat frames each device sent and how many of them were dropped, since the
 * relay started (a device that reconnects keeps its tally).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DeviceTallies } from "./device_report.ts";
 *
 * const tallies = new DeviceTallies();
 * tallies.count("Soldier_Alpha", { dropped: false });
 * tallies.count("Soldier_Alpha", { dropped: true });
 * assertEquals(tallies.get("Soldier_Alpha"), { sent: 2, dropped: 1 });
 * assertEquals(tallies.get("Soldier_Bravo"), { sent: 0, dropped: 0 });
 * ```
 */
export class DeviceTallies {
  #tallies = new Map<string, { sent: number; dropped: number }>();

  /** Counts one acked chat frame of `deviceId`. */
  count(deviceId: string, outcome: { dropped: boolean }): void {
    let tally = this.#tallies.get(deviceId);
    if (!tally) {
      if (this.#tallies.size >= MAX_TALLIED_DEVICES) {
        this.#tallies.delete(this.#tallies.keys().next().value!);
      }
      tally = { sent: 0, dropped: 0 };
      this.#tallies.set(deviceId, tally);
    }
    tally.sent++;
    if (outcome.dropped) tally.dropped++;
  }

  /** The tally of `deviceId` (zeros for one never seen). */
  get(deviceId: string): { sent: number; dropped: number } {
    const tally = this.#tallies.get(deviceId);
    return tally ? { ...tally } : { sent: 0, dropped: 0 };
  }
}

/**
 * The report of the hub's registered devices; `wallNow` is Unix ms (the hub's
 * own clock is monotonic, so connection times are converted with it).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { DEFAULT_LIMITS } from "./config.ts";
 * import { Connection } from "./connection.ts";
 * import { deviceReport } from "./device_report.ts";
 * import { HubState } from "./hub_state.ts";
 *
 * const hub = new HubState({ limits: DEFAULT_LIMITS, now: () => 5_000 });
 * const peer = { readyState: 1, bufferedAmount: 0, send() {}, close() {} };
 * const conn = new Connection(peer, { number: 1, label: "a", rateLimit: 10, now: 2_000, nonce: "n" });
 * hub.devices.add("Soldier_Alpha", conn);
 * hub.queues.push("Soldier_Alpha", { text: "{}", bytes: 2, sender: "Soldier_Bravo", queuedAt: 4_000 });
 * assertEquals(deviceReport(hub, 1_000_000), {
 *   devices: [{
 *     device_id: "Soldier_Alpha",
 *     connected_since: 997_000,
 *     queued_frames: 1,
 *     queued_bytes: 2,
 *     sent: 0,
 *     dropped: 0,
 *   }],
 *   queued_frames: 1,
 *   queued_bytes: 2,
 *   drops: {},
 * });
 * ```
 */
export function deviceReport(
  hub: HubState,
  wallNow: number,
): RelayDeviceReport {
  const now = hub.now();
  const devices: RelayDevice[] = hub.devices.online().map((deviceId) => {
    const conn = hub.devices.get(deviceId)!;
    return {
      device_id: deviceId,
      connected_since: Math.round(wallNow - (now - conn.openedAt)),
      queued_frames: hub.queues.size(deviceId),
      queued_bytes: hub.queues.bytes(deviceId),
      ...hub.counters.devices.get(deviceId),
    };
  });
  return {
    devices,
    queued_frames: hub.queues.totalFrames,
    queued_bytes: hub.queues.totalBytes,
    drops: Object.fromEntries(hub.counters.dropped),
  };
}

/** The admin token from `--admin-token-file`, or why it cannot be used. */
export type AdminTokenResult =
  | { ok: true; token: string }
  | { ok: false; reason: string };

/**
 * Reads the admin token file: one line, at least 16 characters.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { readAdminToken } from "./device_report.ts";
 *
 * const file = await Deno.makeTempFile();
 * await Deno.writeTextFile(file, "relay-admin-0123456789\n");
 * assertEquals(await readAdminToken(file), { ok: true, token: "relay-admin-0123456789" });
 * await Deno.writeTextFile(file, "short");
 * assertEquals((await readAdminToken(file)).ok, false);
 * await Deno.remove(file);
 * ```
 */
export async function readAdminToken(path: string): Promise<AdminTokenResult> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    return {
      ok: false,
      reason: `--admin-token-file ${path}: cannot read it (${
        error instanceof Error ? error.message : String(error)
      })`,
    };
  }
  const token = text.trim();
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    return {
      ok: false,
      reason:
        `--admin-token-file ${path}: expected one token of at least ${MIN_TOKEN_LENGTH} characters`,
    };
  }
  return { ok: true, token };
}

/**
 * Whether `request` carries `Authorization: Bearer TOKEN` with the admin
 * token, compared in time that depends on neither (SHA-256 of both, then
 * every byte).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { isAdmin } from "./device_report.ts";
 *
 * const token = "relay-admin-0123456789";
 * const request = (value: string) => new Request("http://relay/devices", { headers: { authorization: value } });
 * assertEquals(isAdmin(request(`Bearer ${token}`), token), true);
 * assertEquals(isAdmin(request("Bearer relay-admin-012345678x"), token), false);
 * ```
 */
export function isAdmin(request: Request, token: string): boolean {
  const given = request.headers.get("authorization")?.match(/^Bearer (.+)$/)
    ?.[1] ?? "";
  const [a, b] = [sha256(given), sha256(token)];
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}
