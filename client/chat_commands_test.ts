import { assertEquals } from "@std/assert";
import { connectedPair } from "./_test_fakes.ts";
import { chatCommands } from "./chat_commands.ts";
import { Conversation } from "./conversation.ts";
import { Delivery } from "./delivery.ts";
import { type ClientEvent, describe } from "./messages.ts";

function commandsOn(conversation: Conversation, rekeying = false) {
  const said: string[] = [];
  const printed: string[] = [];
  const calls: string[] = [];
  const delivery = new Delivery({
    conversation,
    send: () => true,
    onEvent: () => {},
    onError: (error) => {
      throw error;
    },
  });
  const actions = chatCommands({
    config: {
      deviceId: "Soldier_Alpha",
      maxFileBytes: 1024,
      relayUrl: "ws://r",
    },
    conversation,
    delivery,
    keys: {
      rekeying,
      rekey: () => {
        calls.push(`rekey ${conversation.peer}`);
        return Promise.resolve();
      },
    },
    auth: {
      trust: (peer) =>
        Promise.resolve(
          peer === "Soldier_Bravo"
            ? { ok: true }
            : peer === "Soldier_Delta"
            ? { ok: false, reason: "not_verified" }
            : { ok: false, reason: "nothing_to_trust" },
        ),
      safetyNumbers: (peer) =>
        Promise.resolve(
          peer === "Soldier_Bravo"
            ? { pinned: "11111 22222 33333 44444 55555 66666" }
            : {},
        ),
    },
    link: { link: { status: "GREEN", qber: 0.02 }, kmsProblem: undefined },
    relayStarted: () => true,
    say: (event: ClientEvent) => said.push(describe(event).text),
    print: (text) => printed.push(text),
    history: (count) => calls.push(`history ${count}`),
    compose: () => calls.push("compose"),
    quit: () => calls.push("quit"),
  });
  return { actions, delivery, said, printed, calls };
}

Deno.test("a typed line waits in the outbox, and says why it is held", () => {
  const conversation = new Conversation("Soldier_Alpha", "Soldier_Bravo");
  const { actions, delivery, said } = commandsOn(conversation);
  actions.submit("Hold position");
  actions.submit("x".repeat(30_000));
  assertEquals(delivery.outbox.size(), 1);
  assertEquals(said, [
    '… kept (relay disconnected): "Hold position"',
    "⚠ Line too long (29.4 KiB encoded, at most 24.0 KiB): not sent. Use /file for long texts.",
  ]);
});

Deno.test("/peer switches the conversation and re-keys; bad names are refused", async () => {
  const { conversation } = await connectedPair();
  const { actions, delivery, said, calls } = commandsOn(conversation);
  actions.submit("for Bravo");
  actions.peer("*");
  actions.peer("Soldier_Alpha");
  actions.peer("Soldier_Bravo");
  actions.peer("Soldier_Charlie");
  assertEquals(conversation.peer, "Soldier_Charlie");
  assertEquals(delivery.outbox.size("Soldier_Bravo"), 1);
  assertEquals(calls, ["rekey Soldier_Charlie"]);
  assertEquals(said, [
    '⚠ "*" is not another device\'s id.',
    '⚠ "Soldier_Alpha" is not another device\'s id.',
    "Already talking to Soldier_Bravo.",
    "↔ Now talking to Soldier_Charlie (offline); 1 unconfirmed message(s) to Soldier_Bravo wait until you switch back",
  ]);
});

Deno.test("/rekey suspends sending and re-keys, unless one is under way", async () => {
  const { conversation } = await connectedPair();
  const { actions, said, calls } = commandsOn(conversation);
  actions.rekey();
  assertEquals(conversation.channel.sendKeyId, undefined);
  assertEquals(calls, ["rekey Soldier_Bravo"]);
  const busy = commandsOn(conversation, true);
  busy.actions.rekey();
  assertEquals(busy.calls, []);
  assertEquals([...said, ...busy.said], [
    "… Re-keying: fetching a fresh key from the KMS.",
    "… A re-key is already in progress.",
  ]);
});

Deno.test("/status and /help print their listings; /quit leaves", async () => {
  const { conversation } = await connectedPair();
  const { actions, printed, calls } = commandsOn(conversation);
  actions.status();
  assertEquals(printed, [
    "Status: Soldier_Alpha ↔ Soldier_Bravo (online)",
    "  key_id: k-1 | QBER: 2.0%",
    "  end-to-end key: k-1+mlkem",
    "  link: GREEN (QBER 2.0%)",
    "  relay: connected (ws://r)",
    "  outbox: 0 unconfirmed",
  ]);
  printed.length = 0;
  actions.help();
  assertEquals(printed[0], "Commands:");
  actions.quit();
  assertEquals(calls, ["quit"]);
});

Deno.test("/file of a missing file says why and queues nothing", async () => {
  const conversation = new Conversation("Soldier_Alpha", "Soldier_Bravo");
  const { actions, delivery, said } = commandsOn(conversation);
  await actions.file("no/such/file.bin");
  assertEquals(delivery.outbox.size(), 0);
  assertEquals(said.length, 1);
  assertEquals(said[0].startsWith("✗ Cannot send no/such/file.bin: "), true);
});

Deno.test("/verify prints the safety number; /trust accepts a changed key and re-keys", async () => {
  const { conversation } = await connectedPair();
  const { actions, said, calls } = commandsOn(conversation);
  await actions.verify("Soldier_Bravo");
  await actions.verify("Soldier_Charlie");
  await actions.trust("Soldier_Charlie");
  await actions.trust("Soldier_Delta");
  assertEquals(calls, []);
  await actions.trust("Soldier_Bravo");
  assertEquals(conversation.channel.sendKeyId, undefined);
  assertEquals(calls, ["rekey Soldier_Bravo"]);
  assertEquals(said, [
    "Safety number with Soldier_Bravo: 11111 22222 33333 44444 55555 66666 — read it to Soldier_Bravo, whose /verify Soldier_Alpha must show the same digits.",
    "No identity key of Soldier_Charlie pinned yet: no authenticated handshake with it so far.",
    "Soldier_Charlie's identity key has not changed: nothing to trust.",
    "⚠ Not trusted: run /verify Soldier_Delta again: the key changed since (or /verify has not shown it yet). Compare the new safety number by voice, then /trust Soldier_Delta.",
    "✓ Trusted Soldier_Bravo's new identity key; re-keying.",
  ]);
});

Deno.test("/history takes a count, 20 without one", () => {
  const { actions, said, calls } = commandsOn(
    new Conversation("Soldier_Alpha", "Soldier_Bravo"),
  );
  actions.history("");
  actions.history("5");
  actions.history("ten");
  assertEquals(calls, ["history 20", "history 5"]);
  assertEquals(said, ['⚠ /history takes a number of lines, not "ten"']);
});
