import { assert, assertEquals } from "@std/assert";
import { increment, RelayCounters, renderRelayMetrics } from "./metrics.ts";

Deno.test("renderRelayMetrics() writes Prometheus text with HELP, TYPE and labelled counters", () => {
  const counters = new RelayCounters();
  counters.framesRelayed = 5;
  increment(counters.dropped, "expired");
  increment(counters.dropped, "expired");
  increment(counters.refused, "bad_json");
  increment(counters.closed, 1008);
  const text = renderRelayMetrics(counters, {
    connections: 3,
    devices: 2,
    queueFrames: 1,
    queueBytes: 42,
    bufferedBytes: 7,
  });
  assert(text.endsWith("\n"));
  const lines = text.trimEnd().split("\n");
  for (
    const expected of [
      "# TYPE qstcs_relay_connections gauge",
      "qstcs_relay_connections 3",
      "# TYPE qstcs_relay_frames_relayed_total counter",
      "qstcs_relay_frames_relayed_total 5",
      'qstcs_relay_frames_dropped_total{reason="expired"} 2',
      'qstcs_relay_frames_refused_total{code="bad_json"} 1',
      'qstcs_relay_closed_total{code="1008"} 1',
      "qstcs_relay_queue_bytes 42",
      "qstcs_relay_socket_buffered_bytes 7",
    ]
  ) {
    assert(lines.includes(expected), expected);
  }
  const rss = lines.find((l) => l.startsWith("process_resident_memory_bytes "));
  assert(Number(rss?.split(" ")[1]) > 0);
  // Every sample line belongs to a metric declared just before it.
  let declared = "";
  for (const line of lines) {
    if (line.startsWith("# TYPE ")) declared = line.split(" ")[2];
    else if (!line.startsWith("# ")) {
      assertEquals(line.split(/[{ ]/)[0], declared);
    }
  }
});
