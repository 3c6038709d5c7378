import { assertEquals } from "@std/assert";
import { generateIdentity } from "./identity.ts";
import { issueTicket, TICKET_CLOCK_SKEW_SECONDS } from "./relay_ticket.ts";
import {
  checkRoomName,
  isRoomCapacity,
  issueMembership,
  MAX_MEMBERSHIP_LENGTH,
  MAX_ROOM_CAPACITY,
  MAX_ROOM_NAME_LENGTH,
  verifyMembership,
} from "./room.ts";
import { signStatement } from "./signed_statement.ts";

const MEMBERS = Array.from(
  { length: MAX_ROOM_CAPACITY },
  (_, i) => `Soldier_${String(i).padStart(2, "0")}_${"x".repeat(53)}`,
);

const options = {
  room: "squad1",
  epoch: 7,
  leader: "Soldier_Alpha",
  expected: 4,
  members: ["Soldier_Bravo", "Soldier_Alpha"],
  now: 1_000_000,
  lifetimeSeconds: 600,
};

Deno.test("room names: letters, digits, _ . - up to 32 characters; anything else is refused with a sentence", () => {
  for (
    const name of [
      "a",
      "squad-1",
      "Alpha_2.b",
      "x".repeat(MAX_ROOM_NAME_LENGTH),
    ]
  ) {
    assertEquals(checkRoomName(name), { ok: true, room: name }, name);
  }
  const refused: [unknown, string][] = [
    ["", "room name must be a non-empty string"],
    [undefined, "room name must be a non-empty string"],
    [42, "room name must be a non-empty string"],
    ["x".repeat(33), "room name is 33 characters; at most 32"],
    [
      "a\u0000b",
      "room name has a control character; use letters, digits, _ . -",
    ],
    ["a\nb", "room name has a control character; use letters, digits, _ . -"],
    [
      "a\u009bb",
      "room name has a control character; use letters, digits, _ . -",
    ],
    ["a b", "room name may hold only letters, digits, _ . -"],
    ["squad/1", "room name may hold only letters, digits, _ . -"],
    ["é", "room name may hold only letters, digits, _ . -"],
  ];
  for (const [name, message] of refused) {
    assertEquals(checkRoomName(name), { ok: false, message }, String(name));
  }
});

Deno.test("capacities are whole numbers from 2 to 16", () => {
  assertEquals(
    [2, 4, 16].map(isRoomCapacity),
    [true, true, true],
  );
  assertEquals(
    [1, 17, 0, -4, 2.5, "4", NaN, null].map(isRoomCapacity),
    [false, false, false, false, false, false, false, false],
  );
});

Deno.test("a membership verifies offline with the KMS's key, its members sorted, until it expires", async () => {
  const kms = await generateIdentity();
  const text = await issueMembership(kms, options);
  const checked = await verifyMembership(text, {
    kmsKey: kms.publicKey,
    now: options.now + 10,
  });
  assertEquals(checked, {
    ok: true,
    membership: {
      v: 1,
      room: "squad1",
      epoch: 7,
      leader: "Soldier_Alpha",
      expected: 4,
      members: ["Soldier_Alpha", "Soldier_Bravo"],
      issued_at: options.now,
      expires_at: options.now + 600,
    },
  });
  const late = options.now + 600 + TICKET_CLOCK_SKEW_SECONDS + 1;
  assertEquals(
    await verifyMembership(text, { kmsKey: kms.publicKey, now: late }),
    {
      ok: false,
      reason: "expired",
    },
  );
  const early = options.now - TICKET_CLOCK_SKEW_SECONDS - 1;
  assertEquals(
    await verifyMembership(text, { kmsKey: kms.publicKey, now: early }),
    {
      ok: false,
      reason: "not_yet_valid",
    },
  );
  const within = options.now - TICKET_CLOCK_SKEW_SECONDS;
  assertEquals(
    (await verifyMembership(text, { kmsKey: kms.publicKey, now: within })).ok,
    true,
  );
});

Deno.test("another key, a tampered payload, a relay ticket or a malformed text never verifies as a membership", async () => {
  const kms = await generateIdentity();
  const other = await generateIdentity();
  const text = await issueMembership(kms, options);
  const now = options.now;
  assertEquals(await verifyMembership(text, { kmsKey: other.publicKey, now }), {
    ok: false,
    reason: "bad_signature",
  });
  const [payload, signature] = text.split(".");
  const body = JSON.parse(
    new TextDecoder().decode(
      Uint8Array.fromBase64(payload, { alphabet: "base64url" }),
    ),
  );
  const forged = new TextEncoder().encode(
    JSON.stringify({ ...body, members: [...body.members, "Soldier_Eve"] }),
  ).toBase64({ alphabet: "base64url", omitPadding: true });
  assertEquals(
    await verifyMembership(`${forged}.${signature}`, {
      kmsKey: kms.publicKey,
      now,
    }),
    {
      ok: false,
      reason: "bad_signature",
    },
  );
  // Signed by the same KMS key under the ticket context: not a membership.
  const ticket = await issueTicket(kms, {
    deviceId: "Soldier_Alpha",
    publicKey: kms.publicKey,
    now,
    lifetimeSeconds: 600,
  });
  assertEquals(
    (await verifyMembership(ticket, { kmsKey: kms.publicKey, now })).ok,
    false,
  );
  const sameShapeOtherContext = await signStatement(kms, {
    context: "qstcs-relay-ticket-v1",
    payload: body,
  });
  assertEquals(
    await verifyMembership(sameShapeOtherContext, {
      kmsKey: kms.publicKey,
      now,
    }),
    {
      ok: false,
      reason: "bad_signature",
    },
  );
  const malformed: unknown[] = [
    undefined,
    42,
    "",
    "abc",
    "a.b.c",
    `${payload}.`,
    "x".repeat(MAX_MEMBERSHIP_LENGTH + 1),
  ];
  for (const bad of malformed) {
    assertEquals(await verifyMembership(bad, { kmsKey: kms.publicKey, now }), {
      ok: false,
      reason: "malformed",
    }, String(bad).slice(0, 20));
  }
});

Deno.test("a membership whose payload breaks the rules is malformed even when signed", async () => {
  const kms = await generateIdentity();
  const good = {
    v: 1,
    room: "squad1",
    epoch: 3,
    leader: "A",
    expected: 4,
    members: ["A", "B"],
    issued_at: 100,
    expires_at: 700,
  };
  const broken: Record<string, unknown>[] = [
    { ...good, v: 2 },
    { ...good, room: "bad room" },
    { ...good, epoch: -1 },
    { ...good, epoch: 1.5 },
    { ...good, leader: "bad id!" },
    { ...good, expected: 17 },
    { ...good, members: ["A", "A"] },
    { ...good, members: "A" },
    { ...good, members: [...MEMBERS, "extra"] },
    { ...good, issued_at: "100" },
  ];
  for (const payload of broken) {
    const text = await signStatement(kms, {
      context: "qstcs-room-membership-v1",
      payload,
    });
    assertEquals(
      await verifyMembership(text, { kmsKey: kms.publicKey, now: 200 }),
      {
        ok: false,
        reason: "malformed",
      },
      JSON.stringify(payload).slice(0, 60),
    );
  }
});

Deno.test("the longest membership (sixteen members of 64 characters) fits MAX_MEMBERSHIP_LENGTH", async () => {
  const kms = await generateIdentity();
  const text = await issueMembership(kms, {
    ...options,
    room: "x".repeat(MAX_ROOM_NAME_LENGTH),
    leader: MEMBERS[0],
    expected: MAX_ROOM_CAPACITY,
    members: MEMBERS,
    epoch: Number.MAX_SAFE_INTEGER,
  });
  const checked = await verifyMembership(text, {
    kmsKey: kms.publicKey,
    now: options.now,
  });
  assertEquals(
    checked.ok && checked.membership.members.length,
    MAX_ROOM_CAPACITY,
  );
});
