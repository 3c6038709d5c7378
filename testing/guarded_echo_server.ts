/**
 * Test lab: a bare {@linkcode listenGuarded} server as its own process, so
 * a test can lower its open-files limit (`ulimit -n`) and set caps the
 * services never would (a total cap above that limit, to make accepts fail
 * with EMFILE). Prints `listening on PORT`, answers `ok`, logs to stdout.
 *
 * Usage: `deno run -P=test testing/guarded_echo_server.ts PORT MAX_CONNECTIONS PER_ADDRESS`
 *
 * @module
 */

import { listenGuarded } from "../common/guarded_server.ts";

const [port, maxConnections, maxConnectionsPerAddress] = Deno.args.map(Number);
const server = await listenGuarded(() => new Response("ok"), {
  hostname: "127.0.0.1",
  port,
  maxConnections,
  maxConnectionsPerAddress,
  logIntervalMs: 2000,
});
console.log(`listening on ${server.addr.port}`);
Deno.addSignalListener("SIGTERM", async () => {
  await server.close(100);
  Deno.exit(0);
});
