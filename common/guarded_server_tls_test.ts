import { assert, assertEquals, assertRejects } from "@std/assert";
import { X509Certificate } from "node:crypto";
import { type GuardedHandler, listenGuarded } from "./guarded_server.ts";
import { normalizeFingerprint, type PeerCertificate } from "./tls_peer.ts";
import { holdSocket } from "../testing/raw_sockets.ts";
import { makeTestPki, tlsClient } from "../testing/test_pki.ts";

const pki = await makeTestPki(["SAE_A"]);

async function withTlsServer(
  handler: GuardedHandler,
  run: (port: number, lines: string[]) => Promise<void>,
): Promise<void> {
  const lines: string[] = [];
  const server = await listenGuarded(handler, {
    hostname: "127.0.0.1",
    port: 0,
    headersTimeoutMs: 600,
    log: (line) => lines.push(line),
    tls: pki.credentials,
  });
  try {
    await run(server.addr.port, lines);
  } finally {
    await server.close(100);
  }
}

Deno.test("mutual TLS: the handler sees the verified client certificate of every request", async () => {
  const seen: (PeerCertificate | undefined)[] = [];
  const urls: string[] = [];
  const handler: GuardedHandler = (request, info) => {
    seen.push(info.peerCertificate);
    urls.push(request.url);
    return new Response("ok");
  };
  await withTlsServer(handler, async (port) => {
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
    await Deno.readTextFile(pki.clients.SAE_A.cert),
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
  await withTlsServer(handler, async (port) => {
    const url = `https://127.0.0.1:${port}/x`;
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
  const lines: string[] = [];
  const server = await listenGuarded(() => new Response("ok"), {
    hostname: "127.0.0.1",
    port: 0,
    log: (line) => lines.push(line),
    tls: pki.credentials,
  });
  const bare = await tlsClient(pki);
  try {
    for (let i = 0; i < 3; i++) {
      await assertRejects(() =>
        fetch(`https://127.0.0.1:${server.addr.port}/`, { client: bare })
      );
    }
  } finally {
    bare.close();
    await server.close(100);
  }
  const summary = lines.filter((line) => line.includes("TLS handshake"));
  assertEquals(summary.length, 1, lines.join("\n"));
  assert(
    /^refused \d+ TLS handshakes? from 127\.0\.0\.1 in the last 10 s \(/.test(
      summary[0],
    ),
    summary[0],
  );
});

Deno.test("mutual TLS: a connection that never starts the handshake is closed after the headers timeout", async () => {
  await withTlsServer(() => new Response("ok"), async (port) => {
    const socket = holdSocket(port, "idle");
    const { afterMs } = await socket.closed;
    assert(afterMs <= 600 + 1000 + 500, `closed late: ${afterMs} ms`);
  });
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(pki.dir, { recursive: true });
});
