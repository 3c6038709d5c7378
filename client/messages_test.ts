import { assertEquals } from "@std/assert";
import {
  type ClientEvent,
  describe,
  labelOf,
  statusLines,
} from "./messages.ts";
import type { OutboxEntry } from "./outbox.ts";
import { testKey } from "./_test_fakes.ts";
import type { Tone } from "./terminal.ts";

const line: OutboxEntry = {
  mid: "m-1",
  peer: "Soldier_Bravo",
  item: { kind: "msg", text: "Hold position" },
  writtenAt: 0,
  sending: false,
};
const file: OutboxEntry = {
  mid: "m-2",
  peer: "Soldier_Bravo",
  item: { kind: "file", name: "map.png", data: new Uint8Array(3) },
  writtenAt: 0,
  sending: false,
};

const roomLine: OutboxEntry = {
  mid: "m-3",
  peer: "#squad1",
  item: { kind: "msg", text: "Move out" },
  writtenAt: 0,
  sending: false,
};

// Keyed by every event kind, so a new event without a line here does not
// compile.
const TABLE: {
  [K in ClientEvent["kind"]]: [
    Extract<ClientEvent, { kind: K }>,
    Tone,
    string,
  ][];
} = {
  banner: [[
    {
      kind: "banner",
      deviceId: "Soldier_Alpha",
      peer: "Soldier_Bravo",
      kmsUrl: "http://k",
      relayUrl: "ws://r",
    },
    "info",
    "QSTCS secure chat: Soldier_Alpha ↔ Soldier_Bravo | KMS http://k | relay ws://r",
  ]],
  hint: [[
    { kind: "hint" },
    "info",
    "Type a message and press Enter; /help lists commands.",
  ]],
  bye: [[{ kind: "bye" }, "info", "Bye."]],
  leaving: [[
    { kind: "leaving", count: 2 },
    "warn",
    "⚠ Leaving with 2 unconfirmed message(s):",
  ]],
  not_confirmed: [[
    { kind: "not_confirmed", entry: line },
    "warn",
    '✗ Not confirmed by Soldier_Bravo: "Hold position"',
  ]],
  eof_waiting: [[
    { kind: "eof_waiting", count: 1, waitMs: 10_000 },
    "info",
    "… End of input: waiting up to 10 s for 1 message(s) to be confirmed.",
  ]],
  invalid_command: [
    [
      {
        kind: "invalid_command",
        problem: { kind: "takes_no_argument", name: "quit" },
      },
      "warn",
      "⚠ /quit takes no argument",
    ],
    [
      {
        kind: "invalid_command",
        problem: { kind: "missing_argument", name: "peer", argument: "NAME" },
      },
      "warn",
      "⚠ usage: /peer NAME",
    ],
    [
      {
        kind: "invalid_command",
        problem: { kind: "unknown_command", name: "shrug" },
      },
      "warn",
      "⚠ unknown command /shrug (type /help; // sends a line starting with /)",
    ],
  ],
  rekey_busy: [[
    { kind: "rekey_busy" },
    "info",
    "… A re-key is already in progress.",
  ]],
  rekeying: [[
    { kind: "rekeying" },
    "info",
    "… Re-keying: fetching a fresh key from the KMS.",
  ]],
  line_too_long: [[
    { kind: "line_too_long", size: 30 * 1024, max: 24 * 1024 },
    "warn",
    "⚠ Line too long (30.0 KiB encoded, at most 24.0 KiB): not sent. Use /file for long texts.",
  ]],
  attach_failed: [[
    { kind: "attach_failed", path: "x.bin", message: "no such file" },
    "warn",
    "✗ Cannot send x.bin: no such file",
  ]],
  sending_file: [[
    { kind: "sending_file", name: "map.png", bytes: 3, peer: "Soldier_Bravo" },
    "info",
    "📎 Sending map.png (3 B) to Soldier_Bravo",
  ]],
  held: [
    [
      { kind: "held", reason: "link_red", item: line.item },
      "info",
      '… kept (link RED): "Hold position"',
    ],
    [
      { kind: "held", reason: "relay_down", item: file.item },
      "info",
      "… kept (relay disconnected): 📎 map.png",
    ],
    [
      { kind: "held", reason: "no_e2e_key", item: line.item },
      "info",
      '… kept (waiting for the end-to-end key): "Hold position"',
    ],
    [
      { kind: "held", reason: "peer_key_changed", item: line.item },
      "info",
      '… kept (the peer\'s identity key changed: /verify, then /trust): "Hold position"',
    ],
  ],
  not_a_peer: [[
    { kind: "not_a_peer", name: "*" },
    "warn",
    '⚠ "*" is not another device\'s id.',
  ]],
  same_peer: [[
    { kind: "same_peer", name: "Soldier_Bravo" },
    "info",
    "Already talking to Soldier_Bravo.",
  ]],
  peer_switched: [
    [
      {
        kind: "peer_switched",
        peer: "Soldier_Charlie",
        online: false,
        previous: "Soldier_Bravo",
        left: 0,
      },
      "info",
      "↔ Now talking to Soldier_Charlie (offline)",
    ],
    [
      {
        kind: "peer_switched",
        peer: "Soldier_Charlie",
        online: true,
        previous: "Soldier_Bravo",
        left: 2,
      },
      "info",
      "↔ Now talking to Soldier_Charlie (online); 2 unconfirmed message(s) to Soldier_Bravo wait until you switch back",
    ],
  ],
  kms_unreachable: [[
    { kind: "kms_unreachable", message: "KMS unreachable at http://k" },
    "warn",
    "⚠ KMS unreachable at http://k: link status unknown, retrying.",
  ]],
  kms_back: [[{ kind: "kms_back" }, "ok", "✓ KMS reachable again."]],
  key_ready: [[
    { kind: "key_ready", key: testKey("k-1", 0.02) },
    "ok",
    "✓ Quantum key established (QBER=2.0%) | Status: GREEN",
  ]],
  no_key: [
    [
      {
        kind: "no_key",
        cause: { failed: "KMS unreachable at http://k" },
        retryMs: 2000,
      },
      "warn",
      "⚠ No key from the KMS: KMS unreachable at http://k. Retrying every 2 s.",
    ],
    [
      { kind: "no_key", cause: { refused: "bb84_aborted" }, retryMs: 2000 },
      "warn",
      "⚠ No key from the KMS: bb84_aborted (status unknown). Retrying every 2 s.",
    ],
    [
      {
        kind: "no_key",
        cause: { refused: "busy", status: "YELLOW" },
        retryMs: 2000,
      },
      "warn",
      "⚠ No key from the KMS: busy (status YELLOW). Retrying every 2 s.",
    ],
  ],
  unknown_key: [[
    { kind: "unknown_key", keyId: "k-9", peer: "Soldier_Bravo" },
    "warn",
    "⚠ The KMS does not know key k-9: a packet from Soldier_Bravo was dropped (a restarted KMS forgets pair keys; otherwise the packet was tampered with).",
  ]],
  key_fetch_failed: [[
    { kind: "key_fetch_failed", keyId: "k-9", message: "timeout" },
    "warn",
    "⚠ Cannot fetch key k-9: timeout",
  ]],
  link_red: [[
    { kind: "link_red", qber: 0.25 },
    "alert",
    "⚠ QUANTUM LINK RED (QBER=25.0%) — possible eavesdropper! Chat suspended: typed lines are kept until the link is GREEN again.",
  ]],
  link_back: [[
    { kind: "link_back", status: "GREEN", qber: 0.02 },
    "ok",
    "✓ Quantum link GREEN again (QBER=2.0%) — re-keying.",
  ]],
  relay_connected: [[
    {
      kind: "relay_connected",
      deviceId: "Soldier_Alpha",
      peer: "Soldier_Bravo",
      online: true,
    },
    "ok",
    "✓ Connected to the relay as Soldier_Alpha (Soldier_Bravo is online).",
  ]],
  relay_reconnected: [[
    { kind: "relay_reconnected" },
    "ok",
    "✓ Reconnected to the relay — re-keying.",
  ]],
  relay_unreachable: [[
    { kind: "relay_unreachable", url: "ws://r", reason: "refused" },
    "warn",
    "⚠ Cannot reach the relay at ws://r (refused); retrying.",
  ]],
  connection_lost: [[
    { kind: "connection_lost" },
    "alert",
    "❌ Connection lost — quantum channel may be compromised. Awaiting re-key.",
  ]],
  composing: [[
    { kind: "composing", lines: 40 },
    "info",
    "✎ A message of 40 line(s) so far: type more lines; a line with only . sends it, /cancel drops it.",
  ]],
  compose_cancelled: [[
    { kind: "compose_cancelled" },
    "info",
    "✎ Message dropped.",
  ]],
  bad_history_count: [[
    { kind: "bad_history_count", count: "ten" },
    "warn",
    '⚠ /history takes a number of lines, not "ten"',
  ]],
  history_shown: [[
    { kind: "history_shown", shown: 10, kept: 42 },
    "info",
    "── the last 10 of 42 line(s) kept on this device (/history N for more) ──",
  ]],
  history_empty: [[
    { kind: "history_empty" },
    "info",
    "No history kept on this device yet.",
  ]],
  restored: [[
    { kind: "restored", count: 2 },
    "info",
    "… 2 unconfirmed line(s) from the last run kept: sent once the chat is open.",
  ]],
  kept_for_next_start: [[
    { kind: "kept_for_next_start", count: 1 },
    "info",
    "… 1 unconfirmed line(s) kept on this device (encrypted): sent when the client starts again.",
  ]],
  chat_unsaved: [[
    { kind: "chat_unsaved", message: "disk full" },
    "warn",
    "⚠ History and unconfirmed lines not saved: disk full",
  ]],
  late_line: [[
    {
      kind: "late_line",
      sender: "Soldier_Bravo",
      writtenAt: new Date(2026, 1, 23, 5, 2, 3).getTime(),
    },
    "warn",
    "⏱ Late: Soldier_Bravo's next line was written at 05:02:03, before the line above.",
  ]],
  relay_lost: [[
    { kind: "relay_lost" },
    "warn",
    "⚠ Lost the relay: a network or relay problem, not the quantum link (it is not RED). Reconnecting; typed lines are kept.",
  ]],
  relay_restarting: [[
    { kind: "relay_restarting" },
    "warn",
    "⚠ The relay is restarting (it said goodbye). Reconnecting; typed lines are kept.",
  ]],
  relay_refused: [[
    {
      kind: "relay_refused",
      code: "duplicate_device",
      message:
        "Soldier_Alpha is already online; to replace a lost connection, send the resume token from its registered frame",
    },
    "warn",
    "⚠ This device is already connected to the relay from another client (started twice?): close the other one. Retrying.",
  ], [
    { kind: "relay_refused", code: "duplicate_device", message: "taken" },
    "warn",
    "⚠ The relay refused a frame: duplicate_device — taken",
  ]],
  presence: [[
    { kind: "presence", peer: "Soldier_Bravo", online: false },
    "info",
    "• Soldier_Bravo is offline.",
  ]],
  expired_held: [[
    { kind: "expired_held", count: 2, peer: "Soldier_Bravo" },
    "warn",
    "⚠ 2 packet(s) from Soldier_Bravo arrived under an end-to-end key this client does not have and were dropped; the peer sends them again.",
  ]],
  internal_error: [[
    { kind: "internal_error", error: "boom" },
    "alert",
    "✗ Internal error: boom",
  ]],
  ack: [
    [
      { kind: "ack", status: "delivered", entry: line },
      "ok",
      '✓ relay accepted: "Hold position"',
    ],
    [
      { kind: "ack", status: "queued", reason: "offline", entry: line },
      "info",
      '… queued (offline): "Hold position"',
    ],
    [
      { kind: "ack", status: "dropped", reason: "queue_full", entry: file },
      "warn",
      "✗ dropped (queue_full): 📎 map.png — will be sent again",
    ],
  ],
  no_receipt: [[
    { kind: "no_receipt", entry: line, everyMs: 10_000 },
    "info",
    '… Soldier_Bravo has not confirmed "Hold position" (✓ relay accepted, no ✓✓ yet): sending again every 10 s while it is online.',
  ]],
  confirmed: [[
    { kind: "confirmed", sender: "Soldier_Bravo", entry: line },
    "ok",
    '✓✓ Soldier_Bravo confirmed: "Hold position"',
  ]],
  peer_elsewhere: [[
    { kind: "peer_elsewhere", sender: "Soldier_Bravo", entry: line },
    "warn",
    '⚠ Soldier_Bravo is talking to someone else: "Hold position" was not shown there; kept, and sent again until it switches back to you.',
  ]],
  packet_refused: [
    [
      { kind: "packet_refused", reason: "replay" },
      "warn",
      "[!] Replayed packet dropped.",
    ],
    [
      { kind: "packet_refused", reason: "malformed" },
      "alert",
      "[!] Malformed packet dropped.",
    ],
    [
      { kind: "packet_refused", reason: "tampered" },
      "alert",
      "[!] Verification failed — possible tampering!",
    ],
    [
      { kind: "packet_refused", reason: "wrong_key" },
      "alert",
      "[!] Verification failed — possible tampering!",
    ],
  ],
  stranger: [[
    { kind: "stranger", sender: "Soldier_Mallory", peer: "Soldier_Bravo" },
    "warn",
    "⚠ Ignored a packet from Soldier_Mallory; you are talking to Soldier_Bravo (/peer Soldier_Mallory to switch).",
  ]],
  e2e_ready: [[
    { kind: "e2e_ready", peer: "Soldier_Bravo", kmsKeyId: "k-1" },
    "ok",
    "🔐 End-to-end key ready with Soldier_Bravo (ML-KEM-768 + QKD key k-1): chat is open.",
  ]],
  file_saved: [[
    {
      kind: "file_saved",
      name: "map.png",
      bytes: 2048,
      sender: "Soldier_Bravo",
      path: "downloads/Soldier_Bravo/map.png",
    },
    "ok",
    "📎 Received map.png (2.0 KiB) from Soldier_Bravo → downloads/Soldier_Bravo/map.png",
  ], [
    {
      kind: "file_saved",
      name: "map.png",
      bytes: 2048,
      sender: "Soldier_Bravo",
      path: "downloads/Soldier_Bravo/map.png",
      room: "squad1",
    },
    "ok",
    "[squad1] 📎 Received map.png (2.0 KiB) from Soldier_Bravo → downloads/Soldier_Bravo/map.png",
  ], [
    {
      kind: "file_saved",
      name: "voice-1.wav",
      bytes: 112044,
      sender: "Soldier_Bravo",
      path: "downloads/Soldier_Bravo/voice-1.wav",
      voice: 7,
      note: 1,
    },
    "ok",
    "🎤 0:07 from Soldier_Bravo → downloads/Soldier_Bravo/voice-1.wav (/play 1)",
  ]],
  file_failed: [[
    {
      kind: "file_failed",
      name: "map.png",
      sender: "Soldier_Bravo",
      reason: "too big",
    },
    "warn",
    "✗ Attachment map.png from Soldier_Bravo not saved: too big",
  ]],
  receipt_refused: [[
    {
      kind: "receipt_refused",
      sender: "Soldier_Bravo",
      entry: file,
      refused: "too big",
    },
    "warn",
    "✗ Soldier_Bravo did not take 📎 map.png: too big",
  ]],
  receive_failed: [[
    { kind: "receive_failed", error: new Error("disk full") },
    "warn",
    "⚠ Error: disk full",
  ]],
  token_needed: [[
    { kind: "token_needed", deviceId: "Soldier_Alpha", hadToken: false },
    "warn",
    "⚠ The KMS refused Soldier_Alpha: no token given. On the KMS host run: deno task kms:enroll Soldier_Alpha --credentials credentials/Soldier_Alpha.json; then start the client with --credentials credentials/Soldier_Alpha.json.",
  ], [
    { kind: "token_needed", deviceId: "Soldier_Alpha", hadToken: true },
    "warn",
    "⚠ The KMS refused Soldier_Alpha: its token is not valid. On the KMS host run: deno task kms:enroll Soldier_Alpha --credentials credentials/Soldier_Alpha.json; then start the client with --credentials credentials/Soldier_Alpha.json.",
  ]],
  relay_ticket_refused: [[
    {
      kind: "relay_ticket_refused",
      deviceId: "Soldier_Alpha",
      url: "ws://r",
      code: "ticket_required",
      message: "this relay admits Soldier_Alpha only with a relay ticket",
    },
    "alert",
    "✗ Soldier_Alpha cannot register with the relay at ws://r: it admits devices only with a relay ticket from the KMS, and this device has none (the KMS's answer is above). Retrying; no chat until then.",
  ], [
    {
      kind: "relay_ticket_refused",
      deviceId: "Soldier_Alpha",
      url: "ws://r",
      code: "ticket_invalid",
      message: "ticket refused: it is not signed by this relay's KMS",
    },
    "alert",
    "✗ Soldier_Alpha cannot register with the relay at ws://r: it refused a fresh relay ticket from the KMS too (ticket refused: it is not signed by this relay's KMS). The relay must trust this KMS's ticket key (its --ticket-key file or --kms URL), and the clocks of KMS and relay must agree. Retrying; no chat until then.",
  ]],
  no_tickets: [[
    { kind: "no_tickets" },
    "warn",
    "⚠ This KMS issues no relay tickets: registering without one, and handshakes are authenticated only by the KMS key.",
  ]],
  ticket_key_changed: [[
    { kind: "ticket_key_changed" },
    "alert",
    "⚠ THE KMS'S TICKET KEY CHANGED since this device last saw it (a KMS with a new data folder, or an impostor). Keys pinned for peers still hold: /verify each peer.",
  ]],
  ticket_refused: [[
    {
      kind: "ticket_refused",
      reason: "key_mismatch",
      message: "identity_key_mismatch: re-enroll the device",
    },
    "warn",
    "⚠ The KMS refused a relay ticket: identity_key_mismatch: re-enroll the device (this device's identity key is not the one the KMS bound to it). Registering without one.",
  ], [
    { kind: "ticket_refused", reason: "forbidden", message: "forbidden" },
    "warn",
    "⚠ The KMS refused a relay ticket: forbidden. Registering without one.",
  ]],
  ticket_failed: [[
    { kind: "ticket_failed", message: "KMS unreachable at http://k" },
    "warn",
    "⚠ No relay ticket yet: KMS unreachable at http://k; retrying.",
  ]],
  handshake_unauthenticated: [[
    { kind: "handshake_unauthenticated", peer: "Soldier_Bravo" },
    "warn",
    "⚠ The handshake with Soldier_Bravo is NOT authenticated (this KMS issues no relay tickets): a KMS that also runs the relay could sit in the middle.",
  ]],
  peer_pinned: [[
    { kind: "peer_pinned", peer: "Soldier_Bravo" },
    "info",
    "🔑 Pinned Soldier_Bravo's identity key (first contact, certified by the KMS). Compare safety numbers by voice: /verify Soldier_Bravo",
  ]],
  peer_key_changed: [[
    { kind: "peer_key_changed", peer: "Soldier_Bravo" },
    "alert",
    "⚠ Soldier_Bravo'S IDENTITY KEY CHANGED — a re-enrolled device, or someone in the middle! Chat with Soldier_Bravo is stopped. Compare safety numbers by voice (/verify Soldier_Bravo), then /trust Soldier_Bravo to accept the new key.",
  ]],
  handshake_refused: [[
    { kind: "handshake_refused", peer: "Soldier_Bravo", why: "bad_signature" },
    "alert",
    "[!] Handshake from Soldier_Bravo refused: its signature does not match (altered on the way) — possible man in the middle!",
  ], [
    { kind: "handshake_refused", peer: "Soldier_Bravo", why: "unsigned" },
    "alert",
    "[!] Handshake from Soldier_Bravo refused: it carries no ticket or signature — possible man in the middle!",
  ], [
    {
      kind: "handshake_refused",
      peer: "Soldier_Bravo",
      why: "ticket_wrong_device",
    },
    "alert",
    "[!] Handshake from Soldier_Bravo refused: its ticket is another device's — possible man in the middle!",
  ]],
  safety_numbers: [[
    {
      kind: "safety_numbers",
      deviceId: "Soldier_Alpha",
      peer: "Soldier_Bravo",
      numbers: {},
    },
    "info",
    "No identity key of Soldier_Bravo pinned yet: no authenticated handshake with it so far.",
  ], [
    {
      kind: "safety_numbers",
      deviceId: "Soldier_Alpha",
      peer: "Soldier_Bravo",
      numbers: { pinned: "11111 22222 33333 44444 55555 66666" },
    },
    "info",
    "Safety number with Soldier_Bravo: 11111 22222 33333 44444 55555 66666 — read it to Soldier_Bravo, whose /verify Soldier_Alpha must show the same digits.",
  ], [
    {
      kind: "safety_numbers",
      deviceId: "Soldier_Alpha",
      peer: "Soldier_Bravo",
      numbers: {
        pinned: "11111 22222 33333 44444 55555 66666",
        changed: "77777 88888 99999 00000 12345 67890",
      },
    },
    "alert",
    "Safety number with Soldier_Bravo's NEW key: 77777 88888 99999 00000 12345 67890 (with the key pinned before: 11111 22222 33333 44444 55555 66666) — read it to Soldier_Bravo, whose /verify Soldier_Alpha must show the same digits; /trust Soldier_Bravo accepts it.",
  ]],
  trusted: [[
    { kind: "trusted", peer: "Soldier_Bravo" },
    "ok",
    "✓ Trusted Soldier_Bravo's new identity key; re-keying.",
  ]],
  nothing_to_trust: [[
    { kind: "nothing_to_trust", peer: "Soldier_Bravo" },
    "info",
    "Soldier_Bravo's identity key has not changed: nothing to trust.",
  ]],
  not_verified: [[
    { kind: "not_verified", peer: "Soldier_Bravo" },
    "warn",
    "⚠ Not trusted: run /verify Soldier_Bravo again: the key changed since (or /verify has not shown it yet). Compare the new safety number by voice, then /trust Soldier_Bravo.",
  ]],
  voice_recording: [[
    { kind: "voice_recording", seconds: 7 },
    "info",
    "🎤 Recording a 7 s voice note…",
  ]],
  voice_failed: [[
    {
      kind: "voice_failed",
      message: "no recorder: arecord, rec, sox not found",
    },
    "warn",
    "✗ Voice note: no recorder: arecord, rec, sox not found",
  ]],
  voice_no_note: [[
    { kind: "voice_no_note", n: "1", count: 0 },
    "warn",
    "⚠ No voice note received yet.",
  ], [
    { kind: "voice_no_note", n: "x", count: 2 },
    "warn",
    '⚠ /play takes a voice note\'s number, 1 to 2, not "x"',
  ]],
  voice_played: [[
    { kind: "voice_played", n: 2 },
    "ok",
    "▶ Played voice note 2.",
  ]],
  room_joined: [[
    {
      "kind": "room_joined",
      "room": "squad1",
      "epoch": 2,
      "leader": "Soldier_Alpha",
      "expected": 4,
      "members": ["Soldier_Alpha", "Soldier_Bravo"],
      "created": false,
    },
    "ok",
    "✓ Joined room squad1 (2 of 4 members: Soldier_Alpha, Soldier_Bravo; leader Soldier_Alpha; epoch 2). Chat goes to the room; /to PEER for a direct chat.",
  ], [
    {
      "kind": "room_joined",
      "room": "squad1",
      "epoch": 1,
      "leader": "Soldier_Alpha",
      "expected": 4,
      "members": ["Soldier_Alpha"],
      "created": true,
    },
    "ok",
    "✓ Created room squad1 for 4 (you lead it; epoch 1). Chat goes to the room; /to PEER for a direct chat.",
  ]],
  room_refused: [[
    {
      "kind": "room_refused",
      "room": "squad1",
      "message": "room squad1 is full: 4 of 4 members",
    },
    "warn",
    "✗ Cannot join room squad1: room squad1 is full: 4 of 4 members",
  ]],
  room_bad_input: [[
    {
      "kind": "room_bad_input",
      "message": "room name is 33 characters; at most 32",
    },
    "warn",
    "⚠ room name is 33 characters; at most 32",
  ]],
  room_kms_failed: [[
    {
      "kind": "room_kms_failed",
      "room": "squad1",
      "message": "KMS unreachable at http://k",
    },
    "warn",
    "⚠ Room squad1: KMS unreachable at http://k",
  ]],
  room_left: [[
    {
      "kind": "room_left",
      "room": "squad1",
      "terminated": false,
      "dropped": 0,
    },
    "info",
    "✓ Left room squad1.",
  ], [
    { "kind": "room_left", "room": "squad1", "terminated": true, "dropped": 2 },
    "info",
    "✓ Left room squad1 (you were the last: the room is gone); 2 unconfirmed line(s) to it dropped.",
  ]],
  room_key_ready: [[
    { "kind": "room_key_ready", "room": "squad1", "epoch": 3, "qber": 0.02 },
    "ok",
    "🔐 [ROOMKEY_DECRYPTED] room=squad1 epoch=3: room key from the KMS (QBER=2.0%); sender keys go to the members under ML-KEM-768.",
  ]],
  room_no_key: [[
    {
      "kind": "room_no_key",
      "room": "squad1",
      "message": "QBER too high",
      "retryMs": 2000,
    },
    "warn",
    "⚠ No room key for squad1 from the KMS: QBER too high. Retrying every 2 s; room lines are kept.",
  ]],
  room_epoch: [[
    {
      "kind": "room_epoch",
      "room": "squad1",
      "epoch": 4,
      "joined": ["Soldier_Delta"],
      "left": ["Soldier_Charlie"],
    },
    "info",
    "↻ Room squad1 is at epoch 4 (Soldier_Delta joined, Soldier_Charlie left): re-keying.",
  ]],
  room_gone: [[
    {
      "kind": "room_gone",
      "room": "squad1",
      "message": "this device is no longer a member (the KMS says so)",
    },
    "warn",
    "⚠ Room squad1: this device is no longer a member (the KMS says so)",
  ]],
  room_online: [[
    {
      "kind": "room_online",
      "room": "squad1",
      "member": "Soldier_Bravo",
      "online": true,
    },
    "info",
    "[squad1] Soldier_Bravo is online",
  ]],
  room_target: [[
    { "kind": "room_target", "room": "squad1", "members": 4, "online": 3 },
    "info",
    "↔ Now talking in room squad1 (4 members, 3 online)",
  ]],
  not_in_room: [[
    { "kind": "not_in_room", "room": "squad9" },
    "warn",
    "⚠ You are not in room squad9 (/rooms lists yours; /join squad9 to join).",
  ]],
  room_held: [[
    {
      "kind": "room_held",
      "room": "squad1",
      "reason": "link RED",
      "item": roomLine.item,
    },
    "info",
    '… kept for room squad1 (link RED): "Move out"',
  ]],
  room_ack: [[
    {
      "kind": "room_ack",
      "room": "squad1",
      "entry": roomLine,
      "status": "delivered",
      "delivered": 3,
      "queued": 0,
    },
    "info",
    '✓ [squad1] relay accepted (3 members): "Move out"',
  ], [
    {
      "kind": "room_ack",
      "room": "squad1",
      "entry": roomLine,
      "status": "queued",
      "delivered": 2,
      "queued": 1,
    },
    "info",
    '✓ [squad1] relay accepted (3 members, 1 queued offline): "Move out"',
  ], [
    {
      "kind": "room_ack",
      "room": "squad1",
      "entry": roomLine,
      "status": "dropped",
      "delivered": 0,
      "queued": 0,
      "reason": "no_recipients",
    },
    "warn",
    '✗ [squad1] relay dropped "Move out" (no_recipients): sent again later.',
  ]],
  room_confirmed: [[
    {
      "kind": "room_confirmed",
      "room": "squad1",
      "entry": roomLine,
      "count": 3,
    },
    "ok",
    '✓✓ [squad1] all 3 confirmed: "Move out"',
  ]],
  room_frame_refused: [[
    {
      "kind": "room_frame_refused",
      "room": "squad1",
      "sender": "Soldier_Bravo",
      "reason": "bad signature",
    },
    "alert",
    "[!] Room squad1: a frame from Soldier_Bravo refused: bad signature",
  ]],
};

Deno.test("every event reads as the soldier has always read it", () => {
  for (const rows of Object.values(TABLE)) {
    for (const [event, tone, text] of rows) {
      assertEquals(describe(event), { tone, text }, event.kind);
    }
  }
});

Deno.test("the unknown-command line points to /help", () => {
  const { text } = describe({
    kind: "invalid_command",
    problem: { kind: "unknown_command", name: "shrug" },
  });
  assertEquals(text.includes("/help"), true);
});

Deno.test("a voice note is labelled with its length", () => {
  assertEquals(
    labelOf({ kind: "file", name: "v.wav", data: new Uint8Array(), voice: 7 }),
    "🎤 0:07 voice note",
  );
});

Deno.test("long lines are cut in labels", () => {
  assertEquals(
    labelOf({ kind: "msg", text: "x".repeat(50) }),
    JSON.stringify(`${"x".repeat(40)}…`),
  );
});

Deno.test("/status lines", () => {
  const report = {
    deviceId: "Soldier_Alpha",
    peer: "Soldier_Bravo",
    peerOnline: false,
    channel: { keyId: "k-1", qber: 0.02, offerSentAt: 1 },
    link: { status: "GREEN" as const, qber: 0.02 },
    linkRed: false,
    relay: "reconnecting" as const,
    relayUrl: "ws://r",
    outbox: 1,
    others: 0,
  };
  assertEquals(statusLines(report), [
    "Status: Soldier_Alpha ↔ Soldier_Bravo (offline)",
    "  key_id: k-1 | QBER: 2.0%",
    "  end-to-end key: ML-KEM handshake in progress",
    "  link: GREEN (QBER 2.0%)",
    "  relay: disconnected, reconnecting (ws://r)",
    "  outbox: 1 unconfirmed",
  ]);
  assertEquals(
    statusLines({
      ...report,
      channel: { sendKeyId: "k-1+mlkem" },
      kmsProblem: "KMS unreachable",
      linkRed: true,
    }).slice(1, 4),
    [
      "  key_id: none yet | QBER: -",
      "  end-to-end key: k-1+mlkem",
      "  link: unknown (KMS unreachable) — chat suspended",
    ],
  );
});
