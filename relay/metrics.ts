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
  /** Chat frames dropped, by reason. */
  readonly dropped: Map<DropReason, number> = new Map();
  /** Frames refused with an error frame, by error code. */
  readonly refused: Map<ErrorCode, number> = new Map();
  /** Connections the relay closed itself, by WebSocket close code. */
  readonly closed: Map<number, number> = new Map();
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
}

/**
 * Renders counters, gauges and the process's memory in Prometheus text
 * format (version 0.0.4).
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
