/**
 * System tests: two real client processes against a real KMS and relay,
 * secure as shipped (devices enrolled, tickets required), typed into
 * through stdin as a script would.
 */

import { assert, assertEquals } from "@std/assert";
import { PROJECT_ROOT, serviceArgs } from "../common/service_process.ts";
import {
  assertShownOnce,
  chatLine,
  CLIENT_SPEC,
  denoTasks,
  KEY_READY,
  linesMatching,
  startClient,
  startPair,
  startStack,
  stopClients,
  uniqueDevice,
  WAIT_MS,
  waitForCount,
  waitForEmptyOutbox,
  withReadyPair,
} from "./_test_client.ts";
import { startSilentProxy } from "./_test_silent_proxy.ts";
import { startTamperProxy } from "./_test_tamper_proxy.ts";

const RELAY_LOST =
  /^\[\w+\] ⚠ Lost the relay: a network or relay problem, not the quantum link \(it is not RED\)\./;
const TAMPERED = /^\[\w+\] \[!\] Verification failed — possible tampering!$/;

Deno.test("the tests run the client as the client task does", async () => {
  const tasks = await denoTasks();
  // --quiet only hides Deno's notice about permissions in the config file.
  const args = serviceArgs(CLIENT_SPEC).filter((arg) => arg !== "--quiet");
  assertEquals(tasks.client, `deno ${args.join(" ")}`);
  // The binary is built from the same entry with the same permission set.
  assert(tasks["build:client"].startsWith("deno compile -P=client "));
  assert(tasks["build:client"].endsWith(` ${CLIENT_SPEC.entry}`));
});

Deno.test("two clients chat both ways and leave cleanly at end of input", async () => {
  await using stack = await startStack();
  await withReadyPair(stack, async (alpha, bravo) => {
    await alpha.process.waitForLine(
      /^\[Alpha\] ✓ Quantum key established \(QBER=\d+\.\d%\) \| Status: GREEN$/,
    );
    await alpha.process.type("Hold position at grid 42");
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "Hold position at grid 42"),
      WAIT_MS,
    );
    await alpha.process.waitForLine(
      /^\[Alpha\] ✓ relay accepted: "Hold position at grid 42"$/,
      WAIT_MS,
    );
    await bravo.process.type("Copy that, Alpha");
    await alpha.process.waitForLine(
      chatLine("Soldier_Bravo", "Copy that, Alpha"),
      WAIT_MS,
    );
    await bravo.process.type("/status");
    await bravo.process.waitForLine(/^\[Bravo\] {3}outbox: \d+ unconfirmed$/);
    // End of input: the client waits for its receipts, then exits 0.
    await bravo.process.closeInput();
    assertEquals((await bravo.process.exited).code, 0);
  });
});

Deno.test("either side re-keys: the peer fetches the new key and chat flows on, once", async () => {
  await using stack = await startStack();
  await withReadyPair(stack, async (alpha, bravo) => {
    const firstKey = alpha.process.output.match(KEY_READY)![1];
    await alpha.process.type("/rekey");
    // Typed while the re-key runs: held or sent, it must arrive once.
    await alpha.process.type("during the re-key");
    await Promise.all([
      waitForCount(alpha.process, KEY_READY, { count: 2 }),
      waitForCount(bravo.process, KEY_READY, { count: 2 }),
    ]);
    const keyIds = [alpha, bravo].map((c) =>
      linesMatching(c.process, KEY_READY).at(-1)!.match(KEY_READY)![1]
    );
    assertEquals(keyIds[0], keyIds[1], "both sides on the same new key");
    assert(keyIds[0] !== firstKey, "a fresh KMS key");
    await bravo.process.type("after the re-key");
    await alpha.process.waitForLine(
      chatLine("Soldier_Bravo", "after the re-key"),
      WAIT_MS,
    );
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "during the re-key"),
      WAIT_MS,
    );
    await bravo.process.type("/rekey");
    await waitForCount(alpha.process, KEY_READY, { count: 3 });
    await alpha.process.type("after Bravo's re-key");
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "after Bravo's re-key"),
      WAIT_MS,
    );
    await waitForEmptyOutbox(alpha);
    assertShownOnce(bravo, {
      sender: "Soldier_Alpha",
      text: "during the re-key",
    });
    assertShownOnce(alpha, {
      sender: "Soldier_Bravo",
      text: "after the re-key",
    });
  });
});

Deno.test("a peer that switched to someone else: the sender is told once, not every re-send", async () => {
  await using stack = await startStack();
  await withReadyPair(stack, async (alpha, bravo) => {
    await alpha.process.type("/peer Soldier_Charlie");
    await alpha.process.waitForLine(/Soldier_Charlie/);
    await bravo.process.type("are you there?");
    await alpha.process.waitForLine(
      /^\[Alpha\] ⚠ Ignored a packet from Soldier_Bravo; you are talking to Soldier_Charlie/,
      WAIT_MS,
    );
    // Alpha's client answers, under the channel it had with Bravo, that it
    // is talking to someone else.
    const ELSEWHERE =
      /^\[Bravo\] ⚠ Soldier_Alpha is talking to someone else: "are you there\?" was not shown there; kept, and sent again until it switches back to you\.$/;
    await bravo.process.waitForLine(ELSEWHERE, WAIT_MS);
    // Long enough for one more re-send.
    await new Promise((resolve) => setTimeout(resolve, 11_000));
    const DELIVERED = /^\[Bravo\] ✓ relay accepted: "are you there\?"$/;
    assertEquals(linesMatching(bravo.process, DELIVERED).length, 1);
    assertEquals(linesMatching(bravo.process, ELSEWHERE).length, 1);
    assertEquals(linesMatching(bravo.process, /has not confirmed/).length, 0);
    await alpha.process.type("/peer Soldier_Bravo");
    await alpha.process.waitForLine(
      chatLine("Soldier_Bravo", "are you there?"),
      WAIT_MS,
    );
  });
});

Deno.test("a secure KMS (the default): devices with their tokens chat; a device without one is refused", async () => {
  await using stack = await startStack();
  const [alphaToken, bravoToken] = await Promise.all([
    stack.token("Soldier_Alpha"),
    stack.token("Soldier_Bravo"),
  ]);
  // The addresses alone: tokens given as --token and QSTCS_KMS_TOKEN.
  const common = { kmsUrl: stack.kms.url, relayUrl: stack.relay.url };
  const [alpha, bravo, mallory] = await Promise.all([
    startClient({
      ...common,
      device: "Soldier_Alpha",
      peer: "Soldier_Bravo",
      args: ["--token", alphaToken],
    }),
    startClient({
      ...common,
      device: "Soldier_Bravo",
      peer: "Soldier_Alpha",
      env: { QSTCS_KMS_TOKEN: bravoToken },
    }),
    startClient({ ...common, device: "Mallory", peer: "Soldier_Alpha" }),
  ]);
  try {
    await Promise.all(
      [alpha, bravo].map((c) => c.process.waitForLine(KEY_READY, WAIT_MS)),
    );
    await alpha.process.type("authenticated hello");
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "authenticated hello"),
      WAIT_MS,
    );
    await mallory.process.waitForLine(
      /^\[Mallory\] ⚠ No key from the KMS: KMS answered HTTP 401/,
      WAIT_MS,
    );
    // Nor can anyone ask for the pair's key by naming the devices.
    const stolen = await stack.kms.post("/get_session_key", {
      device_id: "Soldier_Alpha",
      peer_id: "Soldier_Bravo",
    });
    assertEquals(stolen.status, 401);
    assertEquals(stolen.body.key_hex, undefined);
  } finally {
    await stopClients(alpha, bravo, mallory);
  }
});

Deno.test("a KMS that stops answering is reported, and the client recovers when it answers again", async () => {
  await using stack = await startStack();
  await using proxy = startSilentProxy(Number(new URL(stack.kms.url).port));
  const alpha = await startClient({
    stack,
    device: "Soldier_Alpha",
    peer: "Soldier_Bravo",
    kmsUrl: proxy.url,
  });
  try {
    await alpha.process.waitForLine(
      /^\[Alpha\] ⚠ KMS at http:\/\/127\.0\.0\.1:\d+ did not answer within 8 s: link status unknown, retrying\.$/,
      WAIT_MS,
    );
    await alpha.process.type("/status");
    await alpha.process.waitForLine(
      /^\[Alpha\] {3}link: unknown \(KMS at .* did not answer/,
    );
    proxy.silent = false;
    await alpha.process.waitForLine(
      /^\[Alpha\] ✓ KMS reachable again\.$/,
      WAIT_MS,
    );
    await alpha.process.waitForLine(
      /^\[Alpha\] ✓ Quantum key established \(QBER=\d+\.\d%\) \| Status: GREEN$/,
      WAIT_MS,
    );
  } finally {
    await stopClients(alpha);
  }
});

Deno.test("an attachment arrives whole in downloads/<sender>/", async () => {
  const sender = uniqueDevice("Alpha");
  const receiver = uniqueDevice("Bravo");
  await using stack = await startStack({ devices: [sender, receiver] });
  const folder = `test_artifacts/client/${sender}`;
  const downloads = `${PROJECT_ROOT}downloads/${sender}`;
  await Deno.mkdir(`${PROJECT_ROOT}${folder}`, { recursive: true });
  // Three chunks, the last one short.
  const bytes = crypto.getRandomValues(new Uint8Array(2 * 16 * 1024 + 1234));
  await Deno.writeFile(`${PROJECT_ROOT}${folder}/field report.bin`, bytes);
  const [alpha, bravo] = await startPair(stack, {
    alpha: sender,
    bravo: receiver,
  });
  try {
    await Promise.all(
      [alpha, bravo].map((c) => c.process.waitForLine(KEY_READY, WAIT_MS)),
    );
    await alpha.process.type(`/file ${folder}/field report.bin`);
    const line = await bravo.process.waitForLine(/📎 Received/, WAIT_MS);
    assertEquals(
      line,
      `[Bravo] 📎 Received field report.bin (33.2 KiB) from ${sender} → downloads/${sender}/field report.bin`,
    );
    assertEquals(await Deno.readFile(`${downloads}/field report.bin`), bytes);
    await alpha.process.waitForLine(
      /^\[Alpha\] ✓ relay accepted: 📎 field report\.bin$/,
    );
    // Outside the working directory, or the KMS's secrets inside it: refused
    // with a word, never a permission prompt.
    await alpha.process.type("/file /etc/hostname");
    await alpha.process.waitForLine(
      /^\[Alpha\] ✗ Cannot send \/etc\/hostname: only files under .* can be sent/,
    );
    await alpha.process.type(`/file ${stack.kms.dataDir}/master.key`);
    await alpha.process.waitForLine(
      /master\.key: the client is not allowed to read it$/,
    );
  } finally {
    await stopClients(alpha, bravo);
    await Deno.remove(downloads, { recursive: true }).catch(() => {});
    await Deno.remove(`${PROJECT_ROOT}${folder}`, { recursive: true });
  }
});

Deno.test("an attachment the receiver refuses is reported to the sender, not confirmed", async () => {
  await using stack = await startStack();
  const folder = `test_artifacts/client/refused`;
  await Deno.mkdir(`${PROJECT_ROOT}${folder}`, { recursive: true });
  await Deno.writeFile(
    `${PROJECT_ROOT}${folder}/big.bin`,
    new Uint8Array(64 * 1024),
  );
  const [alpha, bravo] = await Promise.all([
    startClient({ stack, device: "Soldier_Alpha", peer: "Soldier_Bravo" }),
    startClient({
      stack,
      device: "Soldier_Bravo",
      peer: "Soldier_Alpha",
      args: ["--max-file-mib", "0.01"],
    }),
  ]);
  try {
    await Promise.all(
      [alpha, bravo].map((c) => c.process.waitForLine(KEY_READY, WAIT_MS)),
    );
    await alpha.process.type(`/file ${folder}/big.bin`);
    await bravo.process.waitForLine(
      /^\[Bravo\] ✗ Attachment big\.bin from Soldier_Alpha not saved: /,
      WAIT_MS,
    );
    await alpha.process.waitForLine(
      /^\[Alpha\] ✗ Soldier_Bravo did not take 📎 big\.bin: /,
      WAIT_MS,
    );
    // Refused is an answer: nothing is left to send again.
    await waitForEmptyOutbox(alpha);
  } finally {
    await stopClients(alpha, bravo);
    await Deno.remove(`${PROJECT_ROOT}${folder}`, { recursive: true });
  }
});

Deno.test("a relay that flips a bit or replays is caught; the line still arrives once", async () => {
  await using stack = await startStack();
  // After the handshake the first packet under the hybrid key is Alpha's
  // first line: flip a bit of it; deliver the second one twice.
  let hybridPackets = 0;
  await using proxy = startTamperProxy(stack.relay.url, (frame) => {
    if (!String(frame.key_id).endsWith("+mlkem")) return "pass";
    hybridPackets++;
    return hybridPackets === 1
      ? "flip"
      : hybridPackets === 2
      ? "replay"
      : "pass";
  });
  await withReadyPair(stack, async (alpha, bravo) => {
    await alpha.process.type("first, tampered on the way");
    await bravo.process.waitForLine(TAMPERED, WAIT_MS);
    await alpha.process.type("second, replayed on the way");
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "second, replayed on the way"),
      WAIT_MS,
    );
    await bravo.process.waitForLine(
      /^\[Bravo\] \[!\] Replayed packet dropped\.$/,
    );
    // No receipt came for the tampered packet: Alpha sends the line again,
    // as a new packet, and it arrives intact.
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "first, tampered on the way"),
      WAIT_MS,
    );
    for (
      const text of [
        "first, tampered on the way",
        "second, replayed on the way",
      ]
    ) {
      assertShownOnce(bravo, { sender: "Soldier_Alpha", text });
    }
  }, { relayUrl: proxy.url });
});

Deno.test("relay killed and restarted: both reconnect and every line typed meanwhile arrives once", async () => {
  await using stack = await startStack();
  await withReadyPair(stack, async (alpha, bravo) => {
    await stack.relay.kill();
    // A crash with the link GREEN: the network wording, not the alarm.
    await Promise.all([
      alpha.process.waitForLine(RELAY_LOST, WAIT_MS),
      bravo.process.waitForLine(RELAY_LOST, WAIT_MS),
    ]);
    const fromAlpha = ["while down 1", "while down 2", "while down 3"];
    for (const text of fromAlpha) await alpha.process.type(text);
    await bravo.process.type("bravo while down");
    await alpha.process.waitForLine(
      /^\[Alpha\] … kept \(relay disconnected\): "while down 3"$/,
    );
    await stack.relay.start();
    await Promise.all([
      waitForCount(alpha.process, KEY_READY, { count: 2 }),
      waitForCount(bravo.process, KEY_READY, { count: 2 }),
    ]);
    for (const text of fromAlpha) {
      await bravo.process.waitForLine(chatLine("Soldier_Alpha", text), WAIT_MS);
    }
    await alpha.process.waitForLine(
      chatLine("Soldier_Bravo", "bravo while down"),
      WAIT_MS,
    );
    // Every receipt in: nothing is left to be sent again.
    await waitForEmptyOutbox(alpha);
    await waitForEmptyOutbox(bravo);
    for (const text of fromAlpha) {
      assertShownOnce(bravo, { sender: "Soldier_Alpha", text });
    }
    assertShownOnce(alpha, {
      sender: "Soldier_Bravo",
      text: "bravo while down",
    });
  });
});

Deno.test("force_attack: both stop chatting; reset: both re-key and the held line arrives once", async () => {
  await using stack = await startStack();
  await stack.enroll("Operator", { role: "operator" });
  const operator = { authorization: `Bearer ${await stack.token("Operator")}` };
  const RED = /⚠ QUANTUM LINK RED \(QBER=\d+\.\d%\) — possible eavesdropper!/;
  await withReadyPair(stack, async (alpha, bravo) => {
    assertEquals(
      (await stack.kms.post("/force_attack", {}, operator)).body.status,
      "RED",
    );
    await Promise.all([
      alpha.process.waitForLine(RED, WAIT_MS),
      bravo.process.waitForLine(RED, WAIT_MS),
    ]);
    await alpha.process.type("held while RED");
    await alpha.process.waitForLine(
      /^\[Alpha\] … kept \(link RED\): "held while RED"$/,
    );
    // Long enough for a line to cross the relay if it were sent.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assertEquals(
      linesMatching(bravo.process, chatLine("Soldier_Alpha", "held while RED")),
      [],
    );
    assertEquals((await stack.kms.post("/reset", {}, operator)).status, 200);
    await Promise.all([
      waitForCount(alpha.process, KEY_READY, { count: 2 }),
      waitForCount(bravo.process, KEY_READY, { count: 2 }),
    ]);
    await bravo.process.waitForLine(
      chatLine("Soldier_Alpha", "held while RED"),
      WAIT_MS,
    );
    await bravo.process.type("back on GREEN");
    await alpha.process.waitForLine(
      chatLine("Soldier_Bravo", "back on GREEN"),
      WAIT_MS,
    );
    assertShownOnce(bravo, { sender: "Soldier_Alpha", text: "held while RED" });
  });
});
