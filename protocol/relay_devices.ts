/**
 * The relay's device report, `GET /devices` with its admin token: who is
 * connected, what waits for them, and what the relay dropped. Typed once for
 * the relay that writes it and the dashboard that reads it. Device names and
 * counts only: the relay never sees message contents.
 *
 * @module
 */

import { isCount, isRecord, type Json } from "./json_checks.ts";

/** One registered device, as the relay sees it now. */
export interface RelayDevice {
  /** The name it registered as. */
  device_id: string;
  /** When its connection opened, Unix ms. */
  connected_since: number;
  /** Frames waiting for it (it is not reading fast enough, or was offline). */
  queued_frames: number;
  /** Their bytes. */
  queued_bytes: number;
  /** Chat frames it sent that the relay answered with an ack, since the relay started. */
  sent: number;
  /** Of those, the ones dropped (any reason). */
  dropped: number;
}

/** The whole answer of `GET /devices`. */
export interface RelayDeviceReport {
  /** Registered devices, by name. */
  devices: RelayDevice[];
  /** Frames waiting in all queues, for online and offline devices. */
  queued_frames: number;
  /** Their bytes. */
  queued_bytes: number;
  /** Chat frames dropped since the relay started, by reason (as `/metrics`). */
  drops: Record<string, number>;
}

function device(value: unknown): RelayDevice | null {
  if (!isRecord(value) || typeof value.device_id !== "string") return null;
  const { device_id, connected_since, queued_frames, queued_bytes } = value;
  const { sent, dropped } = value;
  const counts = [connected_since, queued_frames, queued_bytes, sent, dropped];
  if (!counts.every(isCount)) return null;
  return {
    device_id,
    connected_since: connected_since as number,
    queued_frames: queued_frames as number,
    queued_bytes: queued_bytes as number,
    sent: sent as number,
    dropped: dropped as number,
  };
}

/**
 * Reads a `GET /devices` answer field by field; `null` for anything else.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { parseRelayDeviceReport } from "./relay_devices.ts";
 *
 * const alpha = {
 *   device_id: "Soldier_Alpha",
 *   connected_since: 1_771_822_800_000,
 *   queued_frames: 2,
 *   queued_bytes: 310,
 *   sent: 5,
 *   dropped: 1,
 * };
 * const report = { devices: [alpha], queued_frames: 2, queued_bytes: 310, drops: { expired: 1 } };
 * assertEquals(parseRelayDeviceReport(report), report);
 * assertEquals(parseRelayDeviceReport({ devices: [{ device_id: 1 }] }), null);
 * ```
 */
export function parseRelayDeviceReport(
  value: unknown,
): RelayDeviceReport | null {
  if (!isRecord(value) || !Array.isArray(value.devices)) return null;
  const devices = value.devices.map(device);
  if (devices.some((entry) => entry === null)) return null;
  if (!isCount(value.queued_frames) || !isCount(value.queued_bytes)) {
    return null;
  }
  const drops: Record<string, number> = {};
  const given: Json = isRecord(value.drops) ? value.drops : {};
  for (const [reason, count] of Object.entries(given)) {
    if (isCount(count)) drops[reason] = count;
  }
  return {
    devices: devices as RelayDevice[],
    queued_frames: value.queued_frames,
    queued_bytes: value.queued_bytes,
    drops,
  };
}
