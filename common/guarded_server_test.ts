import { assert, assertEquals, assertMatch, assertRejects } from "@std/assert";
import { X509Certificate } from "node:crypto";
import {
  type GuardedHandler,
  type GuardedServeOptions,
  listenGuarded,
} from "./guarded_server.ts";
import { sseResponse } from "./sse.ts";
import { normalizeFingerprint, type PeerCertificate } from "./tls_peer.ts";
import { holdSocket, requestFrom } from "../testing/raw_sockets.ts";
import { makeTestPki, type TestPki, tlsClient } from "../testing/test_pki.ts";
import { waitUntil } from "../testing/wait.ts";

// Short timeouts so the tests take seconds; the server adds up to 1 s (its
// check interval) to each.
const FAST = {
  headersTimeoutMs: 600,
  requestTimeoutMs: 900,
  keepAliveTimeoutMs: 400,
};
const CHECK_INTERVAL_MS = 1000;
const SLACK_MS = 500;

async function withServer(
  handler: GuardedHandler,
  options: Partial<GuardedServeOptions>,
  run: (port: number, lines: string[]) => Promise<void>,
): Promise<void> {
  const lines: string[] = [];
  const server = await listenGuarded(handler, {
    hostname: "127.0.0.1",
    port: 0,
    log: (line) => lines.push(line),
    ...options,
  });
  try {
    await run(server.addr.port, lines);
  } finally {
    await server.close(100);
  }
}

const ok: GuardedHandler = () => new Response("ok");

Deno.test("a request reaches the handler whole: method, URL, headers, body and the peer's address", async () => {
  let seen: unknown;
  const handler: GuardedHandler = async (request, info) => {
    seen = {
      method: request.method,
      url: request.url,
      header: request.headers.get("x-test"),
      body: await request.text(),
      peer: info.remoteAddr.hostname,
      transport: info.remoteAddr.transport,
    };
    const headers = new Headers({ "x-answer": "42" });
    headers.append("set-cookie", "a=1");
    headers.append("set-cookie", "b=2");
    return new Response("created", { status: 201, headers });
  };
  await withServer(handler, {}, async (port) => {
    const response = await fetch(`http://127.0.0.1:${port}/keys?x=1`, {
      method: "POST",
      headers: { "x-test": "yes" },
      body: JSON.stringify({ device_id: "A" }),
    });
    assertEquals(response.status, 201);
    assertEquals(response.headers.get("x-answer"), "42");
    assertEquals(response.headers.getSetCookie(), ["a=1", "b=2"]);
    assertEquals(await response.text(), "created");
    assertEquals(seen, {
      method: "POST",
      url: `http://127.0.0.1:${port}/keys?x=1`,
      header: "yes",
      body: '{"device_id":"A"}',
      peer: "127.0.0.1",
      transport: "tcp",
    });
  });
});

Deno.test("a handler that gives up on a large body still gets its answer out", async () => {
  const handler: GuardedHandler = async (request) => {
    const reader = request.body!.getReader();
    await reader.read();
    await reader.cancel();
    return new Response("too large", { status: 413 });
  };
  await withServer(handler, {}, async (port) => {
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: "POST",
      body: new Uint8Array(4 << 20),
    });
    assertEquals(response.status, 413);
    assertEquals(await response.text(), "too large");
  });
});

Deno.test("a throwing handler is a 500 and the server keeps serving", async () => {
  let calls = 0;
  const handler: GuardedHandler = () => {
    if (calls++ === 0) throw new Error("boom (expected in this test)");
    return new Response("fine");
  };
  const errors: unknown[] = [];
  const consoleError = console.error;
  console.error = (error: unknown) => errors.push(error);
  try {
    await withServer(handler, {}, async (port) => {
      const first = await fetch(`http://127.0.0.1:${port}/`);
      assertEquals(first.status, 500);
      await first.body?.cancel();
      assertEquals(
        await (await fetch(`http://127.0.0.1:${port}/`)).text(),
        "fine",
      );
    });
  } finally {
    console.error = consoleError;
  }
  assertEquals(errors.length, 1);
});

Deno.test("an SSE stream arrives event by event and is cancelled when its client goes away", async () => {
  const ended = Promise.withResolvers<void>();
  const handler: GuardedHandler = () =>
    sseResponse((channel) => {
      let n = 0;
      const timer = setInterval(() => channel.send({ data: String(n++) }), 20);
      return () => {
        clearInterval(timer);
        ended.resolve();
      };
    });
  await withServer(handler, {}, async (port) => {
    const response = await fetch(`http://127.0.0.1:${port}/events`);
    assertEquals(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream())
      .getReader();
    let text = "";
    while (!text.includes("data:2\n")) text += (await reader.read()).value;
    assert(text.startsWith("data:0\n\ndata:1\n\n"), text);
    await reader.cancel();
    await ended.promise;
  });
});

Deno.test("an SSE stream with nothing to say yet is already open (headers go out at once)", async () => {
  const handler: GuardedHandler = () => sseResponse(() => {});
  await withServer(handler, {}, async (port) => {
    const response = await fetch(`http://127.0.0.1:${port}/events`, {
      signal: AbortSignal.timeout(2000),
    });
    assertEquals(response.status, 200);
    await response.body?.cancel();
  });
});

for (const mode of ["idle", "partial"] as const) {
  Deno.test(`an unfinished request (${mode}) is closed within headersTimeout + 1 s, with a 408`, async () => {
    await withServer(ok, FAST, async (port) => {
      const socket = holdSocket(port, mode);
      const { afterMs, received } = await socket.closed;
      assert(
        afterMs >= FAST.headersTimeoutMs - 50,
        `closed early: ${afterMs} ms`,
      );
      assert(
        afterMs <= FAST.headersTimeoutMs + CHECK_INTERVAL_MS + SLACK_MS,
        `closed late: ${afterMs} ms`,
      );
      if (mode === "partial") {
        assert(received.startsWith("HTTP/1.1 408"), received);
      }
    });
  });
}

Deno.test("an idle keep-alive connection is closed within keepAliveTimeout + 1 s", async () => {
  await withServer(ok, FAST, async (port) => {
    const socket = holdSocket(port, "keepalive");
    const { afterMs, received } = await socket.closed;
    assert(received.startsWith("HTTP/1.1 200"), received);
    assert(
      afterMs <= FAST.keepAliveTimeoutMs + CHECK_INTERVAL_MS + SLACK_MS,
      `closed late: ${afterMs} ms`,
    );
  });
});

Deno.test("one address over its cap is refused and summarised while another is served", async () => {
  const limits = {
    maxConnectionsPerAddress: 5,
    maxConnections: 50,
    logIntervalMs: 200,
  };
  await withServer(ok, limits, async (port, lines) => {
    const held = Array.from({ length: 20 }, () => holdSocket(port, "idle"));
    await Promise.all(held.map((socket) => socket.ready));
    // The refused fifteen are closed by the server at once.
    const early = await Promise.race([
      Promise.all(held.slice(5).map((socket) => socket.closed)),
      new Promise((resolve) => setTimeout(() => resolve("timeout"), 2000)),
    ]);
    assert(early !== "timeout", "the sockets over the cap were not closed");
    const other = await requestFrom(`http://127.0.0.1:${port}/`, "127.0.0.2");
    assertEquals([other.status, other.text], [200, "ok"]);
    await assertRejects(() =>
      requestFrom(`http://127.0.0.1:${port}/`, "127.0.0.1")
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert(
      lines.some((line) =>
        /^refused 1[56] connections from 127\.0\.0\.1 in the last 0\.2 s \(5 open from it, cap 5\)$/
          .test(line)
      ),
      lines.join("\n"),
    );
    for (const socket of held) socket.destroy();
  });
});

Deno.test("the total cap refuses new connections from anyone until some close", async () => {
  const limits = { maxConnectionsPerAddress: 10, maxConnections: 3 };
  await withServer(ok, limits, async (port) => {
    const held = [
      holdSocket(port, "idle"),
      holdSocket(port, "idle"),
      holdSocket(port, "idle", { localAddress: "127.0.0.3" }),
    ];
    await Promise.all(held.map((socket) => socket.ready));
    await new Promise((resolve) => setTimeout(resolve, 100));
    await assertRejects(() =>
      requestFrom(`http://127.0.0.1:${port}/`, "127.0.0.2")
    );
    for (const socket of held) socket.destroy();
    await Promise.all(held.map((socket) => socket.closed));
    await new Promise((resolve) => setTimeout(resolve, 100));
    assertEquals(
      (await requestFrom(`http://127.0.0.1:${port}/`, "127.0.0.2")).status,
      200,
    );
  });
});

Deno.test("an upgrade goes to onUpgrade, and is a 501 without it", async () => {
  const upgrade =
    "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
  const send = async (port: number) => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    await conn.write(new TextEncoder().encode(upgrade));
    const text = await new Response(conn.readable).text();
    return text;
  };
  await withServer(ok, {}, async (port) => {
    assert((await send(port)).startsWith("HTTP/1.1 501"));
  });
  const onUpgrade: GuardedServeOptions["onUpgrade"] = (request, socket) => {
    socket.end(`HTTP/1.1 418 I'm a teapot\r\nx-path: ${request.url}\r\n\r\n`);
  };
  await withServer(ok, { onUpgrade }, async (port) => {
    const text = await send(port);
    assert(text.startsWith("HTTP/1.1 418"), text);
    assert(text.includes("x-path: /ws"), text);
  });
});

Deno.test("a listen error (port in use) rejects", async () => {
  const taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    await assertRejects(() =>
      listenGuarded(ok, {
        hostname: "127.0.0.1",
        port: (taken.addr as Deno.NetAddr).port,
        log: () => {},
      })
    );
  } finally {
    taken.close();
  }
});

Deno.test("out of file descriptors, the server says so once, then serves again once some are free", async () => {
  await withServer(ok, { logIntervalMs: 60_000 }, async (port, lines) => {
    const hog: Deno.FsFile[] = [];
    try {
      for (;;) hog.push(Deno.openSync("/dev/null"));
    } catch {
      // EMFILE: the process is full.
    }
    // One descriptor for a client, none left for the server's accept.
    hog.pop()!.close();
    const client = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      await waitUntil(
        () =>
          lines.some((line) =>
            line.startsWith("out of file descriptors (EMFILE)")
          ),
        "the EMFILE line",
        { timeoutMs: 3000 },
      );
      await new Promise((resolve) => setTimeout(resolve, 600));
    } finally {
      for (const file of hog) file.close();
      client.close();
    }
    await waitUntil(
      () =>
        lines.some((line) => line.startsWith("file descriptors free again")),
      "the free-again line",
      { timeoutMs: 3000 },
    );
    const response = await fetch(`http://127.0.0.1:${port}/`);
    assertEquals(await response.text(), "ok");
    assertEquals(
      lines.filter((line) => line.startsWith("out of file")).length,
      1,
      lines.join("\n"),
    );
  });
});

Deno.test("a body that stops arriving is closed within requestTimeout + 1 s, and no error is logged", async () => {
  const errors: unknown[] = [];
  const consoleError = console.error;
  console.error = (error: unknown) => errors.push(error);
  const reading = Promise.withResolvers<void>();
  const handler: GuardedHandler = async (request) => {
    reading.resolve();
    return new Response(await request.text());
  };
  try {
    await withServer(handler, FAST, async (port) => {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      const start = performance.now();
      await conn.write(
        new TextEncoder().encode(
          "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789",
        ),
      );
      await reading.promise;
      await new Response(conn.readable).arrayBuffer().catch(() => {});
      const afterMs = performance.now() - start;
      assert(
        afterMs >= FAST.requestTimeoutMs - 50,
        `closed early: ${afterMs} ms`,
      );
      assert(
        afterMs <= FAST.requestTimeoutMs + CHECK_INTERVAL_MS + SLACK_MS,
        `closed late: ${afterMs} ms`,
      );
    });
  } finally {
    console.error = consoleError;
  }
  assertEquals(errors, []);
});

// A PKI for the mutual-TLS tests, made once by openssl on first use.
let pkiMade: Promise<TestPki> | undefined;
function testPki(): Promise<TestPki> {
  pkiMade ??= makeTestPki(["SAE_A"]).then((pki) => {
    globalThis.addEventListener("unload", () => {
      Deno.removeSync(pki.dir, { recursive: true });
    });
    return pki;
  });
  return pkiMade;
}

async function tlsOptions(): Promise<Partial<GuardedServeOptions>> {
  return { ...FAST, tls: (await testPki()).credentials };
}

Deno.test("mutual TLS: the handler sees the verified client certificate of every request", async () => {
  const seen: (PeerCertificate | undefined)[] = [];
  const urls: string[] = [];
  const handler: GuardedHandler = (request, info) => {
    seen.push(info.peerCertificate);
    urls.push(request.url);
    return new Response("ok");
  };
  await withServer(handler, await tlsOptions(), async (port) => {
    const pki = await testPki();
    const client = await tlsClient(pki, pki.clients.SAE_A);
    try {
      for (let i = 0; i < 2; i++) {
        const response = await fetch(`https://127.0.0.1:${port}/x`, {
          client,
        });
        assertEquals(await response.text(), "ok");
      }
    } finally {
      client.close();
    }
  });
  const cert = new X509Certificate(
    await Deno.readTextFile((await testPki()).clients.SAE_A.cert),
  );
  const expected = {
    fingerprint256: normalizeFingerprint(cert.fingerprint256),
    subjectCN: "SAE_A",
    subjectAltName: "URI:urn:qstcs:sae:SAE_A",
  };
  assertEquals(seen, [expected, expected]);
  assert(urls.every((url) => url.startsWith("https://")), urls.join(" "));
});

Deno.test("mutual TLS: no certificate or another CA's is refused at the handshake, summarised in the log, and the server stays up", async () => {
  let reached = 0;
  const handler: GuardedHandler = () => {
    reached++;
    return new Response("ok");
  };
  await withServer(handler, await tlsOptions(), async (port) => {
    const url = `https://127.0.0.1:${port}/x`;
    const pki = await testPki();
    const bare = await tlsClient(pki);
    const rogue = await tlsClient(pki, pki.rogue);
    const good = await tlsClient(pki, pki.clients.SAE_A);
    try {
      for (let i = 0; i < 20; i++) {
        await assertRejects(() => fetch(url, { client: bare }));
        await assertRejects(() => fetch(url, { client: rogue }));
      }
      assertEquals(reached, 0);
      const response = await fetch(url, { client: good });
      assertEquals(await response.text(), "ok");
    } finally {
      for (const client of [bare, rogue, good]) client.close();
    }
    assertEquals(reached, 1);
  });
});

Deno.test("mutual TLS: refused handshakes are logged as one line per address", async () => {
  let log: string[] = [];
  const pki = await testPki();
  await withServer(ok, await tlsOptions(), async (port, lines) => {
    log = lines;
    const bare = await tlsClient(pki);
    try {
      for (let i = 0; i < 3; i++) {
        await assertRejects(() =>
          fetch(`https://127.0.0.1:${port}/`, { client: bare })
        );
      }
    } finally {
      bare.close();
    }
  });
  // close() flushes the summary.
  const summary = log.filter((line) => line.includes("TLS handshake"));
  assertEquals(summary.length, 1, log.join("\n"));
  assertMatch(
    summary[0],
    /^refused \d+ TLS handshakes? from 127\.0\.0\.1 in the last 10 s \(/,
  );
});

Deno.test("mutual TLS: a connection that never starts the handshake is closed after the headers timeout", async () => {
  await withServer(ok, await tlsOptions(), async (port) => {
    const socket = holdSocket(port, "idle");
    const { afterMs } = await socket.closed;
    assert(
      afterMs <= FAST.headersTimeoutMs + CHECK_INTERVAL_MS + SLACK_MS,
      `closed late: ${afterMs} ms`,
    );
  });
});
