/**
 * The relay process: `deno task relay`.
 *
 * Prints `[RELAY] listening on ws://HOST:PORT` when ready, then a line per
 * connection, registration, routing decision and disconnection, never with
 * a frame's contents; lines about single frames beyond 50 a second are
 * counted in a summary line instead, so a flood cannot slow the relay down.
 *
 * @module
 */

import { runService } from "../common/cli.ts";
import { serveUntilSignal } from "../common/serve.ts";
import { RELAY_COMMAND, type RelayConfig } from "./config.ts";
import { CloseCode, Hub } from "./hub.ts";
import { LogThrottle } from "./log_throttle.ts";
import { createRelayHandler } from "./server.ts";

// How often queues drain into sockets that have room again and presence
// goes out: the added latency of both.
const TICK_MS = 25;
// Lines about single frames print up to this rate, then are only counted.
const FRAME_LINES_PER_SECOND = 50;

async function serveRelay(config: RelayConfig): Promise<void> {
  const log = (line: string) => console.log(`[RELAY] ${line}`);
  const frameLines = new LogThrottle(log, {
    linesPerSecond: FRAME_LINES_PER_SECOND,
  });
  const hub = new Hub({
    limits: config,
    log,
    logFrame: (line) => frameLines.line(line),
  });
  const ticker = setInterval(() => {
    hub.tick();
    frameLines.flush();
  }, TICK_MS);
  await serveUntilSignal(createRelayHandler(hub, { ...config, log }), {
    hostname: config.host,
    port: config.port,
    tag: "RELAY",
    onListen: ({ hostname, port }) => {
      console.log(
        "[RELAY] zero-knowledge relay: forwards frames unchanged and reads " +
          "only type, sender, recipient and id",
      );
      console.log(
        `[RELAY] limits: frames up to ${config.maxFrameBytes} bytes, ` +
          `${config.rateLimit} frames/s per connection, ` +
          `${config.queueMaxFrames} frames or ${config.queueMaxBytes} bytes ` +
          `for up to ${config.queueMaxAgeMs / 1000} s per offline device, ` +
          `idle timeout ${config.idleTimeoutSeconds} s`,
      );
      console.log(`[RELAY] listening on ws://${hostname}:${port}`);
    },
    onStop: () => {
      clearInterval(ticker);
      hub.closeAll(CloseCode.goingAway, "relay shutting down");
    },
  });
  // Sockets of clients that vanished may still hold the event loop.
  Deno.exit(0);
}

if (import.meta.main) await runService(RELAY_COMMAND, serveRelay);
