/**
 * A relay node's cluster figures for `/metrics`: its id, its NATS
 * connection, frames to and from other nodes, and the JetStream queue.
 *
 * @module
 */

import type { Metric } from "../common/prometheus.ts";

/** The figures, sampled at scrape time. */
export interface ClusterFigures {
  node: string;
  natsConnected: boolean;
  natsReconnects: number;
  natsInBytes: number;
  natsOutBytes: number;
  /** Frames this node forwarded to other nodes. */
  framesOut: number;
  /** Frames other nodes forwarded to this one. */
  framesIn: number;
  /** Forwards for a device no node held. */
  offline: number;
  /** Frames dropped because NATS did not answer. */
  unavailable: number;
  /** Devices other nodes hold. */
  remoteDevices: number;
  /** Frames and bytes in the JetStream queue (the whole cluster's). */
  queueFrames: number;
  queueBytes: number;
}

/**
 * The figures as metric families `qstcs_relay_*`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { clusterMetrics } from "./cluster_metrics.ts";
 *
 * const metrics = clusterMetrics({
 *   node: "n1", natsConnected: true, natsReconnects: 0, natsInBytes: 0,
 *   natsOutBytes: 0, framesOut: 3, framesIn: 0, offline: 0, unavailable: 0,
 *   remoteDevices: 1, queueFrames: 0, queueBytes: 0,
 * });
 * assertEquals(metrics[0].samples, [{ labels: { node: "n1" }, value: 1 }]);
 * assertEquals(
 *   metrics.find((m) => m.name === "qstcs_relay_cluster_frames_out_total")
 *     ?.samples[0].value,
 *   3,
 * );
 * ```
 */
export function clusterMetrics(figures: ClusterFigures): Metric[] {
  const f = figures;
  const rows: [string, "counter" | "gauge", string, number][] = [
    ["nats_connected", "gauge", "1 while NATS is connected.", +f.natsConnected],
    [
      "nats_reconnects_total",
      "counter",
      "Reconnects to NATS.",
      f.natsReconnects,
    ],
    ["nats_in_bytes_total", "counter", "Bytes from NATS.", f.natsInBytes],
    ["nats_out_bytes_total", "counter", "Bytes to NATS.", f.natsOutBytes],
    [
      "cluster_frames_out_total",
      "counter",
      "Frames forwarded to other relay nodes.",
      f.framesOut,
    ],
    [
      "cluster_frames_in_total",
      "counter",
      "Frames from other relay nodes.",
      f.framesIn,
    ],
    [
      "cluster_offline_total",
      "counter",
      "Forwards for a device no node held.",
      f.offline,
    ],
    [
      "cluster_unavailable_total",
      "counter",
      "Frames dropped because NATS did not answer.",
      f.unavailable,
    ],
    ["remote_devices", "gauge", "Devices other nodes hold.", f.remoteDevices],
    [
      "jetstream_queue_frames",
      "gauge",
      "Frames in the cluster's JetStream queue.",
      f.queueFrames,
    ],
    [
      "jetstream_queue_bytes",
      "gauge",
      "Bytes in the cluster's JetStream queue.",
      f.queueBytes,
    ],
  ];
  return [
    {
      name: "qstcs_relay_node_info",
      type: "gauge",
      help: "This relay node of the cluster.",
      samples: [{ labels: { node: f.node }, value: 1 }],
    },
    ...rows.map(([name, type, help, value]): Metric => ({
      name: `qstcs_relay_${name}`,
      type,
      help,
      samples: [{ value }],
    })),
  ];
}
