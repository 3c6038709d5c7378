/**
 * Bench helper: the seeds' 20-line Python relay, run as its own process for
 * `relay_bench.ts` to measure side by side with the relay, and the CPU time
 * a process has used.
 *
 * @module
 */

import { freePort } from "../common/service_process.ts";

// The seeds' relay, Listing 5.4 "chat_server.py — Zero-Knowledge Relay" in
// seeds/000 §5.4 (/work/shared/seeds/000_1a590fc9f589ebb5.txt), verbatim but
// for three lines: it listens on 127.0.0.1 and the port given as its first
// argument instead of 0.0.0.0:8765, prints a readiness line, and the `async
// for` sits inside the `try` (the PDF's page break repeats line 12 and loses
// the indent). Its protocol: the first frame is `{"from": NAME}`, unanswered;
// every later frame with a `to` naming a connected client is forwarded as is,
// one `await send` at a time; nothing is acked, limited or queued.
const SEED_RELAY = `import asyncio, json, sys, websockets

connected_clients = {}    # name -> WebSocket

async def handle_client(websocket, path):
    """Relay handler. Never decrypts anything -- pure forwarding.
    """
    client_name = None
    try:
        data = json.loads(await websocket.recv())
        client_name = data['from']
        connected_clients[client_name] = websocket
        async for message in websocket:
            msg = json.loads(message)
            target = msg.get('to')
            if target and target in connected_clients:
                await connected_clients[target].send(message)
    except websockets.ConnectionClosed:
        pass
    finally:
        if client_name: connected_clients.pop(client_name, None)

asyncio.get_event_loop().run_until_complete(
    websockets.serve(handle_client, "127.0.0.1", int(sys.argv[1])))
print("listening", flush=True)
asyncio.get_event_loop().run_forever()
`;

// Debian's interpreter with python3-websockets (10.4 here): a `python3` on
// PATH may be another one without the package. The listing's legacy API
// (`handler(websocket, path)`, `get_event_loop()` outside a loop) needs
// websockets < 14 and runs without warnings on Python 3.11.
const PYTHON = "/usr/bin/python3";

/** The seeds' relay process. */
export interface SeedRelay extends AsyncDisposable {
  /** `ws://127.0.0.1:PORT`. */
  url: string;
  /** Its process id, for {@linkcode cpuMilliseconds}. */
  pid: number;
  /** `websockets X, Python Y`, for the bench's report. */
  versions: string;
}

/**
 * Writes the seeds' relay to a temporary file and starts it with
 * {@linkcode PYTHON} on a free loopback port; resolves once it listens.
 */
export async function startSeedRelay(): Promise<SeedRelay> {
  const dir = await Deno.makeTempDir({ prefix: "qstcs_seed_relay_" });
  const script = `${dir}/chat_server.py`;
  await Deno.writeTextFile(script, SEED_RELAY);
  const versions = new TextDecoder().decode(
    (await new Deno.Command(PYTHON, {
      args: [
        "-c",
        "import sys, websockets; " +
        "print(f'websockets {websockets.__version__}, Python {sys.version.split()[0]}')",
      ],
    }).output()).stdout,
  ).trim();
  const port = freePort();
  const child = new Deno.Command(PYTHON, {
    args: [script, String(port)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  const first = await lines.read();
  if (!String(first.value).startsWith("listening")) {
    child.kill("SIGKILL");
    throw new Error(`the seed relay did not start (${PYTHON} with websockets)`);
  }
  return {
    url: `ws://127.0.0.1:${port}`,
    pid: child.pid,
    versions,
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.status;
      lines.releaseLock();
      await child.stdout.cancel().catch(() => {});
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/**
 * User plus system CPU time process `pid` has used, in milliseconds, from
 * `/proc/PID/stat` (in clock ticks of 10 ms). Read by `cat`: Deno grants
 * reads under /proc only with --allow-all, and the bench's permission set
 * may run programs instead.
 */
export async function cpuMilliseconds(pid: number): Promise<number> {
  const { stdout, success } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/stat`],
  }).output();
  if (!success) throw new Error(`cannot read /proc/${pid}/stat`);
  // Fields 14 and 15 (utime, stime) counted after the command name, which
  // ends at the last ")" and may itself contain spaces.
  const stat = new TextDecoder().decode(stdout);
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
