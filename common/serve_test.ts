import { assertEquals } from "@std/assert";
import { serveUntilSignal } from "./serve.ts";

Deno.test("serveUntilSignal serves, runs onStop once on abort, and returns", async () => {
  const abort = new AbortController();
  const listening = Promise.withResolvers<number>();
  const events: string[] = [];
  const served = serveUntilSignal(() => new Response("up"), {
    hostname: "127.0.0.1",
    port: 0,
    tag: "TEST",
    signal: abort.signal,
    onListen: ({ port }) => listening.resolve(port),
    onStop: () => {
      events.push("stop");
    },
  });
  const port = await listening.promise;
  const response = await fetch(`http://127.0.0.1:${port}/`);
  assertEquals(await response.text(), "up");
  abort.abort();
  await served;
  assertEquals(events, ["stop"]);
  // The port is closed once it returns.
  let refused = false;
  try {
    await fetch(`http://127.0.0.1:${port}/`);
  } catch {
    refused = true;
  }
  assertEquals(refused, true);
});

Deno.test("serveUntilSignal returns after its grace even while a stream stays open", async () => {
  const abort = new AbortController();
  const listening = Promise.withResolvers<number>();
  const served = serveUntilSignal(
    () => new Response(new ReadableStream({ start() {} })),
    {
      hostname: "127.0.0.1",
      port: 0,
      tag: "TEST",
      signal: abort.signal,
      graceMs: 50,
      onListen: ({ port }) => listening.resolve(port),
    },
  );
  const port = await listening.promise;
  const response = await fetch(`http://127.0.0.1:${port}/`);
  abort.abort();
  await served;
  await response.body?.cancel();
});

Deno.test("serveUntilSignal gives handlers the peer's address and tags its refusal lines", async () => {
  const abort = new AbortController();
  const listening = Promise.withResolvers<number>();
  const lines: string[] = [];
  const log = console.log;
  console.log = (line: string) => lines.push(line);
  try {
    const served = serveUntilSignal(
      (_request, info) => new Response(info.remoteAddr.hostname),
      {
        hostname: "127.0.0.1",
        port: 0,
        tag: "TEST",
        signal: abort.signal,
        maxConnectionsPerAddress: 1,
        onListen: ({ port }) => listening.resolve(port),
      },
    );
    const port = await listening.promise;
    const response = await fetch(`http://127.0.0.1:${port}/`);
    assertEquals(await response.text(), "127.0.0.1");
    // fetch keeps that connection alive: a second one is over the cap.
    const extra = await Deno.connect({ hostname: "127.0.0.1", port });
    await new Response(extra.readable).arrayBuffer().catch(() => {});
    abort.abort();
    await served;
  } finally {
    console.log = log;
  }
  assertEquals(lines, [
    "[TEST] shutting down",
    "[TEST] refused 1 connection from 127.0.0.1 in the last 10 s (1 open from it, cap 1)",
  ]);
});
