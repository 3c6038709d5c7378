import { assertEquals } from "@std/assert";
import http from "node:http";
import net from "node:net";
import { responseWritten, toRequest, writeResponse } from "./fetch_bridge.ts";

/** A node:http server through the bridge; `seen` gets each request's outcome. */
async function withBridge(
  handler: (request: Request) => Promise<Response>,
  run: (port: number, seen: Promise<boolean>[]) => Promise<void>,
): Promise<void> {
  const seen: Promise<boolean>[] = [];
  const server = http.createServer(async (req, res) => {
    const request = toRequest(req, res, "127.0.0.1");
    seen.push(responseWritten(request)!);
    await writeResponse(res, await handler(request));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    await run((server.address() as net.AddressInfo).port, seen);
  } finally {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

Deno.test("responseWritten: true for each answer written in full, on one keep-alive connection too", async () => {
  await withBridge(
    () => Promise.resolve(new Response("x".repeat(100_000))),
    async (port, seen) => {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`http://127.0.0.1:${port}/`);
        assertEquals((await response.text()).length, 100_000);
      }
      assertEquals(await Promise.all(seen), [true, true]);
    },
  );
});

Deno.test("responseWritten: false when the client went away before the answer", async () => {
  const gone = Promise.withResolvers<void>();
  await withBridge(async (request) => {
    await new Promise((resolve) =>
      request.signal.addEventListener("abort", resolve, { once: true })
    );
    gone.resolve();
    return new Response("too late");
  }, async (port, seen) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.write("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.destroy();
    await gone.promise;
    assertEquals(await Promise.all(seen), [false]);
  });
});
