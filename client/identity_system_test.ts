/**
 * System tests of device identity: real client processes, the real KMS
 * issuing relay tickets to enrolled devices and a real relay checking them
 * (a KMS from before tickets is _test_old_kms.ts in front of the real one).
 */

import { assert, assertEquals } from "@std/assert";
import { PROJECT_ROOT } from "../common/service_process.ts";
import {
  chatLine,
  KEY_READY,
  linesMatching,
  startClient,
  startPair,
  startStack,
  stopClients,
  type TestClientProcess,
  uniqueDevice,
  WAIT_MS,
  waitForCount,
  withReadyPair,
} from "./_test_client.ts";
import { generateIdentity } from "../protocol/mod.ts";
import { startRelay } from "../relay/_test_relay.ts";
import { requestSessionKey } from "./kms_client.ts";
import { startTamperProxy } from "./_test_tamper_proxy.ts";
import { startOldKms } from "./_test_old_kms.ts";

const SAFETY = /Safety number with \w+: (\d{5}(?: \d{5}){5}) — /;

async function safetyNumberOf(
  client: TestClientProcess,
  peer: string,
): Promise<string> {
  const seen = linesMatching(client.process, SAFETY).length;
  await client.process.type(`/verify ${peer}`);
  await waitForCount(client.process, SAFETY, { count: seen + 1 });
  return linesMatching(client.process, SAFETY).at(-1)!.match(SAFETY)![1];
}

const mode = async (path: string) =>
  (await Deno.stat(`${PROJECT_ROOT}${path}`)).mode! & 0o777;

Deno.test("with tickets: each side pins the other's key, /verify shows the same number on both, the identity is private", async () => {
  await using stack = await startStack();
  const stateDir = `state/test-${crypto.randomUUID().slice(0, 8)}`;
  try {
    await withReadyPair(stack, async (alpha, bravo) => {
      for (const [client, peer] of [[alpha, bravo], [bravo, alpha]]) {
        await client.process.waitForLine(
          new RegExp(`🔑 Pinned ${peer.deviceId}'s identity key`),
        );
      }
      assertEquals(
        await safetyNumberOf(alpha, bravo.deviceId),
        await safetyNumberOf(bravo, alpha.deviceId),
      );
      await alpha.process.type("signed and sealed");
      await bravo.process.waitForLine(
        chatLine(alpha.deviceId, "signed and sealed"),
        WAIT_MS,
      );
      assertEquals(linesMatching(alpha.process, /NOT authenticated/), []);
    }, { stateDir });
    const device = `${stateDir}/Soldier_Alpha`;
    assertEquals(await mode(device), 0o700);
    assertEquals(await mode(`${device}/identity.json`), 0o600);
    assertEquals(await mode(`${device}/pins.json`), 0o600);
  } finally {
    await Deno.remove(`${PROJECT_ROOT}${stateDir}`, { recursive: true });
  }
});

Deno.test("a man in the middle, KMS and relay cooperating, who swaps the kem_offer's key is caught by the signature", async () => {
  // The KMS hands K to the relay: here the relay asks the KMS, open for
  // that, for the pair's key by naming the pair. It still issues tickets.
  await using stack = await startStack({ open: true });
  await using proxy = startTamperProxy(
    stack.relay.url,
    (frame) => String(frame.key_id).endsWith("+mlkem") ? "pass" : "swap_kem",
    {
      kmsKey: async (packet) => {
        const answer = await requestSessionKey(stack.kms.url, {
          deviceId: packet.sender,
          peerId: packet.recipient,
          keyId: packet.key_id,
        });
        if (!answer.ok) throw new Error(`no K: ${answer.error}`);
        return answer.key.key;
      },
    },
  );
  const common = { stack, relayUrl: proxy.url };
  const [alpha, bravo] = await Promise.all([
    startClient({ ...common, device: "Soldier_Alpha", peer: "Soldier_Bravo" }),
    startClient({ ...common, device: "Soldier_Bravo", peer: "Soldier_Alpha" }),
  ]);
  try {
    const REFUSED =
      /\[!\] Handshake from Soldier_Alpha refused: its signature does not match \(altered on the way\) — possible man in the middle!$/;
    await bravo.process.waitForLine(REFUSED, WAIT_MS);
    await alpha.process.type("for Bravo only");
    await alpha.process.waitForLine(
      /… kept \(waiting for the end-to-end key\): "for Bravo only"/,
    );
    // Long enough for a re-sent offer (every 8 s): still no key, said once.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    for (const client of [alpha, bravo]) {
      assertEquals(linesMatching(client.process, KEY_READY), []);
    }
    assertEquals(linesMatching(bravo.process, REFUSED).length, 1);
    assertEquals(
      linesMatching(bravo.process, chatLine("Soldier_Alpha", "for Bravo only")),
      [],
    );
  } finally {
    await stopClients(alpha, bravo);
  }
});

Deno.test("a re-enrolled peer (new identity, new ticket) is a loud warning, and chat waits for /trust", async () => {
  const [alphaId, bravoId] = [uniqueDevice("Alpha"), uniqueDevice("Bravo")];
  await using stack = await startStack({ devices: [alphaId, bravoId] });
  const stateDir = `state/test-${crypto.randomUUID().slice(0, 8)}`;
  const start = (device: string, peer: string) =>
    startClient({ stack, stateDir, device, peer });
  let [alpha, bravo] = await Promise.all([
    start(alphaId, bravoId),
    start(bravoId, alphaId),
  ]);
  try {
    await Promise.all(
      [alpha, bravo].map((c) => c.process.waitForLine(KEY_READY, WAIT_MS)),
    );
    const before = await safetyNumberOf(alpha, bravoId);
    // Bravo's laptop is replaced: its state is gone, and kms:enroll makes
    // new credentials (the KMS forgets the old identity key).
    await stopClients(bravo);
    await Deno.remove(`${PROJECT_ROOT}${stateDir}/${bravoId}`, {
      recursive: true,
    });
    await stack.enroll(bravoId);
    bravo = await start(bravoId, alphaId);
    await alpha.process.waitForLine(
      new RegExp(`⚠ ${bravoId}'S IDENTITY KEY CHANGED — .* /trust ${bravoId}`),
      WAIT_MS,
    );
    await alpha.process.type("held for the new Bravo");
    await alpha.process.waitForLine(
      /… kept \(the peer's identity key changed: \/verify, then \/trust\): "held for the new Bravo"/,
    );
    const NEW = /Safety number with \w+'s NEW key: (\d{5}(?: \d{5}){5}) /;
    await alpha.process.type(`/verify ${bravoId}`);
    const changed = (await alpha.process.waitForLine(NEW)).match(NEW)![1];
    assert(changed !== before, "the new key gives a new number");
    // Alpha's own signed offer told the new Bravo its key.
    await bravo.process.waitForLine(
      new RegExp(`🔑 Pinned ${alphaId}'s identity key`),
      WAIT_MS,
    );
    assertEquals(await safetyNumberOf(bravo, alphaId), changed);
    await alpha.process.type(`/trust ${bravoId}`);
    await alpha.process.waitForLine(/✓ Trusted .* new identity key; re-keying/);
    await waitForCount(alpha.process, KEY_READY, { count: 2 });
    await bravo.process.waitForLine(
      chatLine(alphaId, "held for the new Bravo"),
      WAIT_MS,
    );
    assertEquals(await safetyNumberOf(alpha, bravoId), changed);
    assertEquals(linesMatching(alpha.process, /CHANGED/).length, 1);
  } finally {
    await stopClients(alpha, bravo);
    await Deno.remove(`${PROJECT_ROOT}${stateDir}`, { recursive: true });
  }
});

Deno.test("a KMS without tickets: said once, and chat works with the handshake said to be unauthenticated", async () => {
  // An older KMS goes with a relay that admits devices without tickets.
  await using stack = await startStack({ open: true });
  await using old = startOldKms(stack.kms.url);
  await withReadyPair(stack, async (alpha, bravo) => {
    for (const client of [alpha, bravo]) {
      await client.process.waitForLine(/⚠ This KMS issues no relay tickets/);
      await client.process.waitForLine(/is NOT authenticated/);
    }
    await alpha.process.type("unauthenticated but secret");
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "unauthenticated but secret"),
      WAIT_MS,
    );
    assertEquals(
      linesMatching(alpha.process, /This KMS issues no relay tickets/).length,
      1,
    );
  }, { kmsUrl: old.url });
});

Deno.test("--credentials FILE gives the device and its token; a device without one is told how to enroll, once", async () => {
  await using stack = await startStack();
  const clients: TestClientProcess[] = [];
  try {
    clients.push(
      // No --device: each file names its device (--token and
      // QSTCS_KMS_TOKEN are client_system_test.ts's).
      ...await startPair(stack, {
        alpha: "Soldier_Alpha",
        bravo: "Soldier_Bravo",
      }),
      await startClient({ stack, device: "Mallory", peer: "Soldier_Alpha" }),
    );
    const [alpha, bravo, mallory] = clients;
    await Promise.all(
      [alpha, bravo].map((c) => c.process.waitForLine(KEY_READY, WAIT_MS)),
    );
    await alpha.process.type("from the credentials file");
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "from the credentials file"),
      WAIT_MS,
    );
    const HINT =
      /⚠ The KMS refused Mallory: no token given\. On the KMS host run: deno task kms:enroll Mallory --credentials credentials\/Mallory\.json; then start the client with --credentials credentials\/Mallory\.json\.$/;
    await mallory.process.waitForLine(HINT, WAIT_MS);
    // Long enough for more refused key requests (every 2 s): said once.
    await new Promise((resolve) => setTimeout(resolve, 5000));
    assertEquals(linesMatching(mallory.process, HINT).length, 1);
  } finally {
    await stopClients(...clients);
  }
});

Deno.test("a relay that trusts another KMS's ticket key: the client renews its ticket once, then says why it cannot register, once", async () => {
  await using stack = await startStack();
  const other = await generateIdentity();
  const keyFile = await Deno.makeTempFile({ suffix: ".pub" });
  await Deno.writeTextFile(
    keyFile,
    other.publicKey.toBase64({ alphabet: "base64url", omitPadding: true }),
  );
  try {
    await using relay = await startRelay({
      open: false,
      args: ["--ticket-key", keyFile],
      read: [keyFile],
    });
    const alpha = await startClient({
      stack,
      relayUrl: relay.url,
      device: "Soldier_Alpha",
      peer: "Soldier_Bravo",
    });
    try {
      const CANNOT =
        /✗ Soldier_Alpha cannot register with the relay at ws:\/\/127\.0\.0\.1:\d+: it refused a fresh relay ticket from the KMS too \(ticket refused: it is not signed by this relay's KMS \(forged, or from another KMS\)\)\. The relay must trust this KMS's ticket key/;
      await alpha.process.waitForLine(CANNOT, WAIT_MS);
      // Long enough for more attempts (the backoff grows to 5 s): said once.
      await new Promise((resolve) => setTimeout(resolve, 6000));
      assertEquals(linesMatching(alpha.process, CANNOT).length, 1);
      assertEquals(linesMatching(alpha.process, /Connected to the relay/), []);
    } finally {
      await stopClients(alpha);
    }
  } finally {
    await Deno.remove(keyFile);
  }
});
