import { assertEquals } from "@std/assert";
import { generateIdentity } from "../protocol/mod.ts";
import { waitUntil } from "../testing/wait.ts";
import type { TicketAnswer, TicketKeyAnswer } from "./kms_tickets.ts";
import { RelayTickets, type TicketEvent } from "./relay_tickets.ts";

function tickets(
  kms: {
    ticketKey: () => Promise<TicketKeyAnswer>;
    relayTicket: () => Promise<TicketAnswer>;
  },
  options: { pinned?: Uint8Array; now?: () => number } = {},
) {
  const events: TicketEvent[] = [];
  const pins = {
    ticketKey: options.pinned,
    pinTicketKey(key: Uint8Array) {
      pins.ticketKey = key;
      return Promise.resolve();
    },
  };
  const stop = new AbortController();
  const handling = new RelayTickets({
    kms,
    publicKey: new Uint8Array(32),
    pins,
    onEvent: (event) => events.push(event),
    signal: stop.signal,
    now: options.now,
    retryMs: 10,
  });
  return { handling, events, pins, stop };
}

Deno.test("the ticket key is pinned at first use and the ticket renewed before it expires", async () => {
  const kms = await generateIdentity();
  let issued = 0;
  const { handling, events, pins, stop } = tickets({
    ticketKey: () => Promise.resolve({ ok: true, publicKey: kms.publicKey }),
    relayTicket: () => {
      issued++;
      // Two seconds of life: renewed after 80% of it.
      return Promise.resolve({
        ok: true,
        ticket: `ticket-${issued}`,
        expiresAt: Date.now() / 1000 + 2,
      });
    },
  });
  await handling.start();
  assertEquals([handling.ticket, events], ["ticket-1", []]);
  assertEquals(pins.ticketKey, kms.publicKey);
  assertEquals(handling.kmsKey, kms.publicKey);
  await waitUntil(() => handling.ticket === "ticket-2", "the renewed ticket");
  stop.abort();
});

Deno.test("a changed ticket key is said loudly and pinned anew", async () => {
  const kms = await generateIdentity();
  const { handling, events, pins } = tickets({
    ticketKey: () => Promise.resolve({ ok: true, publicKey: kms.publicKey }),
    relayTicket: () =>
      Promise.resolve({
        ok: false,
        reason: "key_mismatch",
        message: "identity_key_mismatch",
      }),
  }, { pinned: new Uint8Array(32) });
  await handling.start();
  assertEquals(events, [
    { kind: "ticket_key_changed" },
    {
      kind: "ticket_refused",
      reason: "key_mismatch",
      message: "identity_key_mismatch",
    },
  ]);
  assertEquals(pins.ticketKey, kms.publicKey);
  assertEquals(handling.ticket, undefined);
});

Deno.test("an unreachable KMS is said once and retried; an expired ticket is not presented", async () => {
  const kms = await generateIdentity();
  let calls = 0;
  let now = Date.now();
  const { handling, events, stop } = tickets({
    ticketKey: () =>
      ++calls < 4
        ? Promise.reject(new Error("KMS unreachable"))
        : Promise.resolve({ ok: true, publicKey: kms.publicKey }),
    relayTicket: () =>
      Promise.resolve({
        ok: true,
        ticket: "t",
        expiresAt: Math.floor(now / 1000) + 3600,
      }),
  }, { now: () => now });
  await handling.start();
  assertEquals(events, [{ kind: "ticket_failed", message: "KMS unreachable" }]);
  assertEquals(handling.ticket, "t");
  now += 3601_000;
  assertEquals(handling.ticket, undefined);
  stop.abort();
});

Deno.test("a KMS that comes back with a new ticket key is noticed at the next renewal", async () => {
  let kms = await generateIdentity();
  const first = kms.publicKey;
  const { handling, events, pins, stop } = tickets({
    ticketKey: () => Promise.resolve({ ok: true, publicKey: kms.publicKey }),
    relayTicket: () =>
      Promise.resolve({
        ok: true,
        ticket: "t",
        expiresAt: Date.now() / 1000 + 1,
      }),
  });
  await handling.start();
  assertEquals(pins.ticketKey, first);
  kms = await generateIdentity();
  await waitUntil(
    () => events.some((e) => e.kind === "ticket_key_changed"),
    "the changed key",
  );
  assertEquals(handling.kmsKey, kms.publicKey);
  assertEquals(pins.ticketKey, kms.publicKey);
  stop.abort();
});

Deno.test("renew asks once, now: a fresh ticket, or one failure said and no retrying; a KMS without tickets is said once", async () => {
  const kms = await generateIdentity();
  let issued = 0;
  let reachable = true;
  const { handling, events, stop } = tickets({
    ticketKey: () =>
      reachable
        ? Promise.resolve({ ok: true, publicKey: kms.publicKey })
        : Promise.reject(new Error("KMS down")),
    relayTicket: () =>
      Promise.resolve({
        ok: true,
        ticket: `ticket-${++issued}`,
        expiresAt: Date.now() / 1000 + 3600,
      }),
  });
  await handling.start();
  await handling.renew();
  assertEquals(handling.ticket, "ticket-2");
  reachable = false;
  await handling.renew();
  assertEquals(handling.ticket, "ticket-2", "the held one is kept");
  assertEquals(events, [{ kind: "ticket_failed", message: "KMS down" }]);
  stop.abort();

  const old = tickets({
    ticketKey: () => Promise.resolve({ ok: false, reason: "no_tickets" }),
    relayTicket: () => Promise.reject(new Error("not asked")),
  });
  await old.handling.start();
  await old.handling.renew();
  assertEquals(old.events, [{ kind: "no_tickets" }]);
});
