import { assert, assertEquals, assertRejects } from "@std/assert";
import { generateKemKeyPair, KeyWrapError } from "./key_wrap.ts";
import { issueTicket } from "./relay_ticket.ts";
import {
  MAX_ROOM_CONTENT_BYTES,
  parseRoomFrame,
  type RoomChatFrame,
} from "./room_packet.ts";
import {
  openHello,
  openKey,
  openMessage,
  sealHello,
  sealKey,
  sealMessage,
} from "./room_seal.ts";
import { type ChainContext, ReceiverChain, SenderChain } from "./sender_key.ts";
import { NOW, testMembers } from "./_test_room_members.ts";

const { kms, members } = await testMembers([
  "Soldier_Alpha",
  "Soldier_Bravo",
  "Soldier_Charlie",
]);
const [alpha, bravo, charlie] = members;
const room = "squad1";
const epoch = 7;
const roomKey = crypto.getRandomValues(new Uint8Array(32));
const at = { room, epoch, timestamp: NOW };
const text = new TextEncoder();
const lines = new TextDecoder();

// What the receiver gets: the frame through JSON and the parser.
function overWire(frame: RoomChatFrame): RoomChatFrame {
  const read = parseRoomFrame(JSON.parse(JSON.stringify(frame)));
  if (!read.ok) throw new Error(read.message);
  return read.frame;
}

// Alpha's next line on `own`, as received.
async function alphaLine(
  own: SenderChain,
  content: Uint8Array | string,
  epoch = at.epoch,
): Promise<RoomChatFrame> {
  return overWire(
    await sealMessage(alpha.identity, {
      ...at,
      epoch,
      sender: alpha.id,
      messageKey: own.next(),
      content: typeof content === "string" ? text.encode(content) : content,
    }),
  );
}

function chainOf(sender: string, key = roomKey, e = epoch): ChainContext {
  return { room, epoch: e, sender, roomKey: key };
}

Deno.test("a hello carries the KEM key and the ticket-certified identity", async () => {
  const kem = generateKemKeyPair();
  const frame = overWire(
    await sealHello(alpha.identity, {
      ...at,
      sender: alpha.id,
      roomKey,
      kemPublicKey: kem.publicKey,
      ticket: alpha.ticket,
    }),
  );
  assertEquals(frame.to, undefined);
  const opened = await openHello(frame, {
    roomKey,
    kmsKey: kms.publicKey,
    now: NOW,
  });
  if (!opened.ok) throw new Error(opened.message);
  assertEquals(opened.hello.kemPublicKey, kem.publicKey);
  assertEquals(opened.hello.identityKey, alpha.identity.publicKey);
  assertEquals(opened.hello.ticket.device_id, alpha.id);
});

Deno.test("a hello is refused under another room key, ticket or signer", async () => {
  const kemPublicKey = generateKemKeyPair().publicKey;
  const hello = (signer = alpha, ticket = alpha.ticket) =>
    sealHello(signer.identity, {
      ...at,
      sender: alpha.id,
      roomKey,
      kemPublicKey,
      ticket,
    });
  const options = { roomKey, kmsKey: kms.publicKey, now: NOW };
  const reason = async (frame: RoomChatFrame, opts = options) => {
    const opened = await openHello(overWire(frame), opts);
    return opened.ok ? "opened" : opened.reason;
  };
  assertEquals(
    await reason(await hello(), {
      ...options,
      roomKey: crypto.getRandomValues(new Uint8Array(32)),
    }),
    "auth_failed",
  );
  assertEquals(
    await reason(await hello(), { ...options, now: NOW + 7200 }),
    "bad_ticket",
  );
  assertEquals(
    await reason(await hello(), {
      ...options,
      kmsKey: bravo.identity.publicKey,
    }),
    "bad_ticket",
  );
  // Bravo's own ticket, sent as Alpha: names the wrong device.
  assertEquals(await reason(await hello(bravo, bravo.ticket)), "bad_ticket");
  // Bravo signs a hello in Alpha's name with Alpha's (public) ticket.
  assertEquals(await reason(await hello(bravo)), "bad_signature");
  // A ticket the KMS signed for Alpha but for Bravo's identity key.
  const swapped = await issueTicket(kms, {
    deviceId: alpha.id,
    publicKey: bravo.identity.publicKey,
    now: NOW,
    lifetimeSeconds: 60,
  });
  assertEquals(await reason(await hello(alpha, swapped)), "bad_signature");
  assertEquals(await reason(await hello()), "opened");
});

Deno.test("a key frame hands C_0 to exactly its recipient", async () => {
  const bravoKem = generateKemKeyPair();
  const chainKey = crypto.getRandomValues(new Uint8Array(32));
  const frame = overWire(
    await sealKey(alpha.identity, {
      ...at,
      sender: alpha.id,
      to: bravo.id,
      roomKey,
      recipientKemKey: bravoKem.publicKey,
      chainKey,
    }),
  );
  assertEquals([frame.kind, frame.to, frame.seq], ["key", bravo.id, 0]);
  assertEquals(frame.ciphertext.includes(chainKey.toBase64()), false);
  const options = {
    recipient: bravo.id,
    identityKey: alpha.identity.publicKey,
    roomKey,
    kemSecretKey: bravoKem.secretKey,
  };
  assertEquals(await openKey(frame, options), { ok: true, chainKey });
  const reason = async (changes: Partial<typeof options>) => {
    const opened = await openKey(frame, { ...options, ...changes });
    return opened.ok ? "opened" : opened.reason;
  };
  assertEquals(await reason({ recipient: charlie.id }), "not_addressed");
  assertEquals(
    await reason({ identityKey: bravo.identity.publicKey }),
    "bad_signature",
  );
  // The KMS knows R but holds no member's ML-KEM secret key.
  assertEquals(
    await reason({ kemSecretKey: generateKemKeyPair().secretKey }),
    "auth_failed",
  );
  // Breaking ML-KEM alone, without R, is not enough either.
  assertEquals(
    await reason({ roomKey: crypto.getRandomValues(new Uint8Array(32)) }),
    "auth_failed",
  );
  assertEquals(
    await reason({ kemSecretKey: new Uint8Array(5) }),
    "auth_failed",
  );
});

Deno.test("a key frame to a KEM key FIPS 203 refuses throws KeyWrapError", async () => {
  await assertRejects(
    () =>
      sealKey(alpha.identity, {
        ...at,
        sender: alpha.id,
        to: bravo.id,
        roomKey,
        recipientKemKey: new Uint8Array(1184).fill(255),
        chainKey: new Uint8Array(32),
      }),
    KeyWrapError,
  );
});

Deno.test("messages open once each, in any order", async () => {
  const own = SenderChain.create(chainOf(alpha.id));
  const chain = new ReceiverChain(own.startKey(), chainOf(alpha.id));
  const frames = [];
  for (const line of ["one", "two", "three"]) {
    frames.push(await alphaLine(own, line));
  }
  assertEquals(frames.map((frame) => frame.seq), [0, 1, 2]);
  const open = async (frame: RoomChatFrame) => {
    const opened = await openMessage(frame, {
      identityKey: alpha.identity.publicKey,
      chain,
    });
    return opened.ok ? lines.decode(opened.bytes) : opened.reason;
  };
  assertEquals(await open(frames[2]), "three");
  assertEquals(await open(frames[0]), "one");
  assertEquals(await open(frames[0]), "used");
  assertEquals(await open(frames[1]), "two");
  assertEquals(await open(frames[2]), "used");
});

Deno.test("a directed message (a receipt) keeps its recipient", async () => {
  const own = SenderChain.create(chainOf(bravo.id));
  const frame = overWire(
    await sealMessage(bravo.identity, {
      ...at,
      sender: bravo.id,
      to: alpha.id,
      messageKey: own.next(),
      content: text.encode("receipt"),
    }),
  );
  assertEquals(frame.to, alpha.id);
  const chain = new ReceiverChain(own.startKey(), chainOf(bravo.id));
  const opened = await openMessage(frame, {
    identityKey: bravo.identity.publicKey,
    chain,
  });
  assertEquals(opened.ok && lines.decode(opened.bytes), "receipt");
});

Deno.test("a member holding Alpha's chain cannot write in Alpha's name", async () => {
  const own = SenderChain.create(chainOf(alpha.id));
  // Bravo received Alpha's C_0, as every member does.
  const stolen = new SenderChain(own.startKey(), chainOf(alpha.id));
  const forged = overWire(
    await sealMessage(bravo.identity, {
      ...at,
      sender: alpha.id,
      messageKey: stolen.next(),
      content: text.encode("Retreat"),
    }),
  );
  const chain = new ReceiverChain(own.startKey(), chainOf(alpha.id));
  const opened = await openMessage(forged, {
    identityKey: alpha.identity.publicKey,
    chain,
  });
  assertEquals(opened.ok ? "opened" : opened.reason, "bad_signature");
  // The forgery burnt nothing: Alpha's genuine line 0 still opens.
  const read = await openMessage(await alphaLine(own, "Advance"), {
    identityKey: alpha.identity.publicKey,
    chain,
  });
  assertEquals(read.ok && lines.decode(read.bytes), "Advance");
});

Deno.test("a departed member's saved state opens nothing of the next epoch", async () => {
  // Epoch 7: Charlie holds R(7), every chain of 7 and its ML-KEM key of 7.
  const charlieKem = generateKemKeyPair();
  const alphaOld = SenderChain.create(chainOf(alpha.id));
  const saved = {
    roomKey: roomKey.slice(),
    kem: charlieKem,
    chains: [
      new ReceiverChain(alphaOld.startKey(), chainOf(alpha.id)),
      new ReceiverChain(alphaOld.startKey(), chainOf(alpha.id, roomKey, 8)),
    ],
  };
  // Epoch 8 without Charlie: a fresh R, fresh chains, fresh KEM keys.
  const next = { ...at, epoch: 8 };
  const newRoomKey = crypto.getRandomValues(new Uint8Array(32));
  const bravoKem = generateKemKeyPair();
  const alphaNew = SenderChain.create(chainOf(alpha.id, newRoomKey, 8));
  const hello = overWire(
    await sealHello(alpha.identity, {
      ...next,
      sender: alpha.id,
      roomKey: newRoomKey,
      kemPublicKey: generateKemKeyPair().publicKey,
      ticket: alpha.ticket,
    }),
  );
  const key = overWire(
    await sealKey(alpha.identity, {
      ...next,
      sender: alpha.id,
      to: bravo.id,
      roomKey: newRoomKey,
      recipientKemKey: bravoKem.publicKey,
      chainKey: alphaNew.startKey(),
    }),
  );
  const line = await alphaLine(alphaNew, "after Charlie left", 8);
  const helloRead = await openHello(hello, {
    roomKey: saved.roomKey,
    kmsKey: kms.publicKey,
    now: NOW,
  });
  assertEquals(helloRead.ok ? "opened" : helloRead.reason, "auth_failed");
  // Even pretending to be Bravo, Charlie's KEM key and R(7) do not open it.
  const keyRead = await openKey(key, {
    recipient: bravo.id,
    identityKey: alpha.identity.publicKey,
    roomKey: saved.roomKey,
    kemSecretKey: saved.kem.secretKey,
  });
  assertEquals(keyRead.ok ? "opened" : keyRead.reason, "auth_failed");
  for (const chain of saved.chains) {
    const read = await openMessage(line, {
      identityKey: alpha.identity.publicKey,
      chain,
    });
    assertEquals(read.ok ? "opened" : read.reason, "auth_failed");
  }
  // Bravo, still a member, reads it.
  const bravoKey = await openKey(key, {
    recipient: bravo.id,
    identityKey: alpha.identity.publicKey,
    roomKey: newRoomKey,
    kemSecretKey: bravoKem.secretKey,
  });
  if (!bravoKey.ok) throw new Error(bravoKey.message);
  const read = await openMessage(line, {
    identityKey: alpha.identity.publicKey,
    chain: new ReceiverChain(
      bravoKey.chainKey,
      chainOf(alpha.id, newRoomKey, 8),
    ),
  });
  assertEquals(read.ok && lines.decode(read.bytes), "after Charlie left");
});

Deno.test("content is limited to MAX_ROOM_CONTENT_BYTES", async () => {
  const own = SenderChain.create(chainOf(alpha.id));
  const chain = new ReceiverChain(own.startKey(), chainOf(alpha.id));
  const largest = await alphaLine(
    own,
    new Uint8Array(MAX_ROOM_CONTENT_BYTES).fill(7),
  );
  // The largest line stays under the relay's default 64 KiB frames.
  assert(JSON.stringify(largest).length < 64 * 1024);
  const read = await openMessage(largest, {
    identityKey: alpha.identity.publicKey,
    chain,
  });
  assertEquals(read.ok && read.bytes.length, MAX_ROOM_CONTENT_BYTES);
  await assertRejects(
    () =>
      sealMessage(alpha.identity, {
        ...at,
        sender: alpha.id,
        messageKey: own.next(),
        content: new Uint8Array(MAX_ROOM_CONTENT_BYTES + 1),
      }),
    RangeError,
  );
});

Deno.test("a frame of one kind is not opened as another", async () => {
  const own = SenderChain.create(chainOf(alpha.id));
  const frame = await alphaLine(own, "x");
  const hello = await openHello(frame, {
    roomKey,
    kmsKey: kms.publicKey,
    now: NOW,
  });
  const key = await openKey(frame, {
    recipient: bravo.id,
    identityKey: alpha.identity.publicKey,
    roomKey,
    kemSecretKey: generateKemKeyPair().secretKey,
  });
  assertEquals([hello.ok, key.ok], [false, false]);
  assertEquals(!hello.ok && hello.reason, "not_addressed");
});
