/**
 * The relay's counters and their Prometheus text exposition for
 * `GET /metrics`.
 *
 * @module
 */

import {
  labelledMetric,
  type Metric,
  renderMetrics,
} from "../common/prometheus.ts";
import type { DropReason, ErrorCode } from "../protocol/mod.ts";
import { DeviceTallies } from "./device_report.ts";

/**
 * Counts of what the relay has done since it started. Labelled counters
 * hold only the labels seen so far.
 */
export class RelayCounters {
  /** WebSocket connections accepted. */
  connections = 0;
  /** Successful registrations, takeovers included. */
  registrations = 0;
  /** Frames received from clients, refused ones included. */
  framesReceived = 0;
  /** Chat frame copies handed to a recipient's socket, from a queue or not. */
  framesRelayed = 0;
  /** Chat frames queued for an offline or backpressured recipient. */
  framesQueued = 0;
  /** `room_chat` frames accepted and fanned out. */
  roomFrames = 0;
  /** Copies of room frames handed to a member's socket at once. */
  roomCopiesDelivered = 0;
  /** Copies of room frames queued for an offline or backpressured member. */
  roomCopiesQueued = 0;
  /** `room_join` frames accepted (membership verified, sender a member). */
  roomJoins = 0;
  /** `room_leave` frames accepted. */
  roomLeaves = 0;
  /** Chat frames dropped, by reason. */
  readonly dropped: Map<DropReason, number> = new Map();
  /** Frames refused with an error frame, by error code. */
  readonly refused: Map<ErrorCode, number> = new Map();
  /** Connections the relay closed itself, by WebSocket close code. */
  readonly closed: Map<number, number> = new Map();
  /** Chat frames each device sent and had dropped, for `GET /devices`. */
  readonly devices: DeviceTallies = new DeviceTallies();
}

/**
 * Adds one to a labelled counter.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { increment, RelayCounters } from "./metrics.ts";
 *
 * const counters = new RelayCounters();
 * increment(counters.dropped, "expired");
 * increment(counters.dropped, "expired");
 * assertEquals(counters.dropped.get("expired"), 2);
 * ```
 */
export function increment<K>(counter: Map<K, number>, label: K): void {
  counter.set(label, (counter.get(label) ?? 0) + 1);
}

/** Values sampled at scrape time. */
export interface RelayGauges {
  /** Open WebSocket connections, registered or not. */
  connections: number;
  /** Registered devices. */
  devices: number;
  /** Frames waiting in queues. */
  queueFrames: number;
  /** Bytes waiting in queues. */
  queueBytes: number;
  /** Bytes waiting in socket send buffers, summed over sockets. */
  bufferedBytes: number;
  /** Rooms whose membership the relay holds; none when absent. */
  rooms?: number;
}

/**
 * Renders counters, gauges, the process's memory and any `extra` families
 * (a cluster node's) in Prometheus text format (version 0.0.4).
 *
 * @example
 * ```ts
 * import { assertStringIncludes } from "@std/assert";
 * import { RelayCounters, renderRelayMetrics } from "./metrics.ts";
 *
 * const text = renderRelayMetrics(new RelayCounters(), {
 *   connections: 2, devices: 1, queueFrames: 0, queueBytes: 0, bufferedBytes: 0,
 * });
 * assertStringIncludes(text, "\nqstcs_relay_connections 2\n");
 * ```
 */
export function renderRelayMetrics(
  counters: RelayCounters,
  gauges: RelayGauges,
  extra: readonly Metric[] = [],
): string {
  const memory = Deno.memoryUsage();
  return renderMetrics([
    gauge("connections", "Open WebSocket connections.", gauges.connections),
    counter(
      "connections_total",
      "WebSocket connections accepted.",
      counters.connections,
    ),
    gauge("devices_online", "Registered devices.", gauges.devices),
    counter(
      "registrations_total",
      "Successful registrations.",
      counters.registrations,
    ),
    counter(
      "frames_received_total",
      "Frames received from clients.",
      counters.framesReceived,
    ),
    counter(
      "frames_relayed_total",
      "Chat frame copies handed to a recipient's socket.",
      counters.framesRelayed,
    ),
    counter(
      "frames_queued_total",
      "Chat frames queued for an offline or backpressured recipient.",
      counters.framesQueued,
    ),
    counter(
      "room_frames_total",
      "room_chat frames accepted and fanned out.",
      counters.roomFrames,
    ),
    counter(
      "room_copies_delivered_total",
      "Copies of room frames handed to a member's socket at once.",
      counters.roomCopiesDelivered,
    ),
    counter(
      "room_copies_queued_total",
      "Copies of room frames queued for an offline or backpressured member.",
      counters.roomCopiesQueued,
    ),
    counter(
      "room_joins_total",
      "room_join frames accepted.",
      counters.roomJoins,
    ),
    counter(
      "room_leaves_total",
      "room_leave frames accepted.",
      counters.roomLeaves,
    ),
    gauge(
      "rooms",
      "Rooms whose membership the relay holds.",
      gauges.rooms ?? 0,
    ),
    ...([
      [
        "frames_dropped_total",
        "Chat frames dropped, by reason.",
        "reason",
        counters.dropped,
      ],
      [
        "frames_refused_total",
        "Frames refused with an error frame, by code.",
        "code",
        counters.refused,
      ],
      [
        "closed_total",
        "Connections closed by the relay, by close code.",
        "code",
        counters.closed,
      ],
    ] as const).map(([name, help, label, values]) =>
      labelledMetric(`qstcs_relay_${name}`, {
        type: "counter",
        help,
        label,
        values,
      })
    ),
    gauge("queue_frames", "Frames waiting in queues.", gauges.queueFrames),
    gauge("queue_bytes", "Bytes waiting in queues.", gauges.queueBytes),
    gauge(
      "socket_buffered_bytes",
      "Bytes waiting in socket send buffers.",
      gauges.bufferedBytes,
    ),
    gauge("heap_used_bytes", "V8 heap in use.", memory.heapUsed),
    {
      name: "process_resident_memory_bytes",
      type: "gauge",
      help: "Resident memory size in bytes.",
      samples: [{ value: memory.rss }],
    },
    ...extra,
  ]);
}

function gauge(name: string, help: string, value: number): Metric {
  return {
    name: `qstcs_relay_${name}`,
    type: "gauge",
    help,
    samples: [{ value }],
  };
}

function counter(name: string, help: string, value: number): Metric {
  return { ...gauge(name, help, value), type: "counter" };
}
