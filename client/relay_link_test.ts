import { assert, assertEquals } from "@std/assert";
import {
  encryptPacket,
  generateIdentity,
  importPacketKey,
  newChallenge,
  proveRegistration,
  type ServerFrameRefusal,
  verifyRegistration,
} from "../protocol/mod.ts";
import { freePort } from "../common/service_process.ts";
import { startRelay } from "../relay/_test_relay.ts";
import { waitUntil } from "../testing/wait.ts";
import {
  type LinkFrame,
  RelayLink,
  type RelayLinkOptions,
} from "./relay_link.ts";

/** A link whose events are recorded and can be waited for. */
function recordedLink(
  url: string,
  options: Partial<RelayLinkOptions> & { deviceId: string },
) {
  const events: string[] = [];
  const frames: LinkFrame[] = [];
  const refusals: ServerFrameRefusal[] = [];
  const link = new RelayLink(url, {
    backoff: { initialMs: 20, maxMs: 100 },
    ...options,
  });
  const start = () =>
    link.start({
      onUp: ({ online, reconnected, ticketExpired }) => {
        events.push(
          `up ${reconnected ? "again" : "first"} ${online.join(",")}${
            ticketExpired ? " (ticket expired)" : ""
          }`,
        );
      },
      onDown: ({ wasUp, reason, ticketExpired }) => {
        events.push(
          `down ${wasUp ? "was up" : "never up"}: ${reason}${
            ticketExpired ? " (ticket expired)" : ""
          }`,
        );
      },
      onFrame: (frame) => {
        frames.push(frame);
      },
      onBadFrame: (refusal) => {
        refusals.push(refusal);
      },
    });
  const until = (done: () => boolean) =>
    waitUntil(done, () => `the link; events so far: ${events}`, {
      timeoutMs: 10_000,
    });
  return { link, start, events, frames, refusals, until };
}

Deno.test("two links register with the real relay, exchange a frame and get its ack", async () => {
  await using relay = await startRelay({ open: true });
  const a = recordedLink(relay.url, { deviceId: "Soldier_Alpha" });
  const b = recordedLink(relay.url, { deviceId: "Soldier_Bravo" });
  try {
    assertEquals(a.link.send({ id: "early" }), false);
    a.start();
    await a.until(() => a.link.state === "up");
    b.start();
    await b.until(() => b.link.state === "up");
    assertEquals(b.events, ["up first Soldier_Alpha,Soldier_Bravo"]);
    const frame = await encryptPacket(
      await importPacketKey(new Uint8Array(32)),
      "Hold position",
      {
        sender: "Soldier_Alpha",
        recipient: "Soldier_Bravo",
        keyId: "k-1",
        seq: 0,
        id: "m-1",
      },
    );
    assert(a.link.send(frame));
    await b.until(() => b.frames.some((f) => f.type === "chat"));
    assertEquals(b.frames.find((f) => f.type === "chat"), frame);
    await a.until(() => a.frames.some((f) => f.type === "ack"));
    assertEquals(a.frames.find((f) => f.type === "ack"), {
      type: "ack",
      id: "m-1",
      status: "delivered",
    });
  } finally {
    await a.link.close();
    await b.link.close();
  }
  assertEquals(a.link.state, "closed");
});

/**
 * A relay that answers registrations and meets everything after them with
 * silence, as behind a router that started dropping the chat port.
 */
function silentRelay(after: string[] = []) {
  const registers: Record<string, unknown>[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request);
      socket.onmessage = (event) => {
        const frame = JSON.parse(event.data);
        if (frame.type !== "register") return;
        registers.push(frame);
        socket.send(JSON.stringify({
          type: "registered",
          device_id: frame.device_id,
          online: [frame.device_id],
          resume: `token-${registers.length}`,
        }));
        for (const text of after) socket.send(text);
      };
      return response;
    },
  );
  return { server, registers, url: `ws://127.0.0.1:${server.addr.port}` };
}

Deno.test("a relay that stops answering is left, and the link resumes its registration", async () => {
  const { server, registers, url } = silentRelay();
  await using _server = server;
  const a = recordedLink(url, {
    deviceId: "Soldier_Alpha",
    answerTimeoutMs: 300,
  });
  try {
    a.start();
    await a.until(() => a.link.state === "up");
    assert(a.link.send({ id: "m-1" }));
    await a.until(() => a.events.length >= 3);
    assertEquals(a.events, [
      "up first Soldier_Alpha",
      "down was up: no answer from the relay within 300 ms",
      "up again Soldier_Alpha",
    ]);
    assertEquals(registers, [
      { type: "register", device_id: "Soldier_Alpha" },
      { type: "register", device_id: "Soldier_Alpha", resume: "token-1" },
    ]);
  } finally {
    await a.link.close();
  }
});

Deno.test("an idle link pings: the real relay keeps it up, a silent one is left", async () => {
  await using relay = await startRelay({ open: true });
  // The live link's timeout is generous (a loaded machine may pause the
  // relay for a few hundred ms) and it is watched for over twice as long.
  const live = recordedLink(relay.url, {
    deviceId: "Soldier_Alpha",
    heartbeatMs: 50,
    answerTimeoutMs: 1500,
  });
  const silent = silentRelay();
  await using _server = silent.server;
  const idle = recordedLink(silent.url, {
    deviceId: "Soldier_Bravo",
    heartbeatMs: 50,
    answerTimeoutMs: 300,
  });
  try {
    live.start();
    idle.start();
    // Nothing is sent by the test: only heartbeats can tell the two apart.
    await idle.until(() => idle.events.length >= 2);
    assertEquals(
      idle.events[1],
      "down was up: no answer from the relay within 300 ms",
    );
    await new Promise((resolve) => setTimeout(resolve, 3500));
    assertEquals(live.events, ["up first Soldier_Alpha"]);
    assertEquals(live.frames, [], "pongs are the link's own business");
  } finally {
    await live.link.close();
    await idle.link.close();
  }
});

Deno.test("a relay that is not there yet is retried until it comes", async () => {
  const port = freePort();
  const a = recordedLink(`ws://127.0.0.1:${port}`, {
    deviceId: "Soldier_Alpha",
  });
  a.start();
  try {
    await a.until(() => a.events.length >= 2);
    assert(a.events.every((event) => event.startsWith("down never up")));
    await using _server = Deno.serve(
      { hostname: "127.0.0.1", port, onListen: () => {} },
      (request) => {
        const { socket, response } = Deno.upgradeWebSocket(request);
        socket.onmessage = () =>
          socket.send(JSON.stringify({
            type: "registered",
            device_id: "Soldier_Alpha",
            online: ["Soldier_Alpha"],
            resume: "r",
          }));
        return response;
      },
    );
    await a.until(() => a.link.state === "up");
    assertEquals(a.events.at(-1), "up first Soldier_Alpha");
    await a.link.close();
  } finally {
    await a.link.close();
  }
});

Deno.test("frames that are not the relay's are handed over as refusals", async () => {
  const { server, url } = silentRelay([
    "not json",
    JSON.stringify({ type: "chat", sender: "Soldier_Bravo" }),
    JSON.stringify({ type: "presence", online: ["Soldier_Alpha"] }),
  ]);
  await using _server = server;
  const a = recordedLink(url, { deviceId: "Soldier_Alpha" });
  try {
    a.start();
    await a.until(() => a.frames.length > 0);
    assertEquals(a.frames, [{ type: "presence", online: ["Soldier_Alpha"] }]);
    assertEquals(a.refusals.map((refusal) => refusal.type), [
      undefined,
      "chat",
    ]);
  } finally {
    await a.link.close();
  }
});

// A WebSocket server on a free port handing each parsed frame to `onFrame`.
function fakeRelay(
  onFrame: (socket: WebSocket, frame: Record<string, unknown>) => void,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, (request) => {
    const { socket, response } = Deno.upgradeWebSocket(request);
    socket.onmessage = (event) => onFrame(socket, JSON.parse(event.data));
    return response;
  });
}

Deno.test("every registration presents the device's current ticket", async () => {
  const registrations: Record<string, unknown>[] = [];
  const server = fakeRelay((socket, frame) => {
    registrations.push(frame);
    // Refused, as a relay refuses an expired ticket: the link retries.
    socket.close(1000, "refused");
  });
  let ticket = "ticket-1";
  const { link, start, until } = recordedLink(
    `ws://127.0.0.1:${server.addr.port}`,
    { deviceId: "Soldier_Alpha", ticket: () => ticket },
  );
  start();
  try {
    await until(() => registrations.length >= 1);
    ticket = "ticket-2";
    await until(() => registrations.length >= 2);
    assertEquals(registrations.slice(0, 2).map((r) => [r.type, r.ticket]), [
      ["register", "ticket-1"],
      ["register", "ticket-2"],
    ]);
  } finally {
    await link.close();
    await server.shutdown();
  }
});

Deno.test("a refused ticket is renewed once, quietly, and registration tried again; refused again, the refusal is handed over", async () => {
  const registrations: Record<string, unknown>[] = [];
  // Admits ticket-2 only; refuses anything else as a relay refuses an
  // expired ticket.
  let admitted = "ticket-2";
  const server = fakeRelay((socket, frame) => {
    if (frame.type !== "register") return;
    registrations.push(frame);
    if (frame.ticket === admitted) {
      socket.send(JSON.stringify({
        type: "registered",
        device_id: frame.device_id,
        online: [frame.device_id],
        resume: "token-1",
      }));
      return;
    }
    socket.send(JSON.stringify({
      type: "error",
      code: "ticket_invalid",
      message: "ticket refused: it has expired: ask the KMS for a new one",
    }));
    socket.close(1008, "ticket refused");
  });
  let ticket = "ticket-1";
  let renewals = 0;
  // Each renewal gets the next ticket.
  const renewingLink = () =>
    recordedLink(`ws://127.0.0.1:${server.addr.port}`, {
      deviceId: "Soldier_Alpha",
      ticket: () => ticket,
      renewTicket: () => {
        ticket = `ticket-${++renewals + 1}`;
        return Promise.resolve();
      },
    });
  const { link, start, until, events, frames } = renewingLink();
  start();
  try {
    await until(() => events.includes("up first Soldier_Alpha"));
    assertEquals(registrations.map((r) => r.ticket), ["ticket-1", "ticket-2"]);
    assertEquals([renewals, frames, events], [1, [], [
      "up first Soldier_Alpha",
    ]]);
    // A relay that trusts another KMS refuses the fresh ticket too: said.
    admitted = "none";
    await link.close();
    const again = renewingLink();
    again.start();
    try {
      await again.until(() => again.frames.length >= 1);
      assertEquals(renewals, 2);
      assertEquals(again.frames[0].type, "error");
      assert(
        again.events.every((e) => e.startsWith("down never up")),
        String(again.events),
      );
    } finally {
      await again.link.close();
    }
  } finally {
    await link.close();
    await server.shutdown();
  }
});

/**
 * A relay that opens each connection with a challenge (unless `challenge`
 * is false), records registrations with their nonce, and admits them.
 */
function challengingRelay(
  options: {
    challenge?: boolean;
    admitted?: (socket: WebSocket, count: number) => void;
  } = {},
) {
  const registers: { frame: Record<string, unknown>; nonce?: string }[] = [];
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    (request) => {
      const { socket, response } = Deno.upgradeWebSocket(request);
      const nonce = options.challenge === false ? undefined : newChallenge();
      socket.onopen = () => {
        if (nonce) socket.send(JSON.stringify({ type: "challenge", nonce }));
      };
      socket.onmessage = (event) => {
        const frame = JSON.parse(event.data);
        if (frame.type !== "register") return;
        registers.push({ frame, nonce });
        socket.send(JSON.stringify({
          type: "registered",
          device_id: frame.device_id,
          online: [frame.device_id],
          resume: `token-${registers.length}`,
        }));
        options.admitted?.(socket, registers.length);
      };
      return response;
    },
  );
  return { server, registers, url: `ws://127.0.0.1:${server.addr.port}` };
}

Deno.test("with a ticket, the link answers the relay's challenge with the proof of its identity key", async () => {
  const identity = await generateIdentity();
  const relay = challengingRelay();
  await using _server = relay.server;
  const prove = (nonce: string) =>
    proveRegistration(identity, { nonce, deviceId: "Soldier_Alpha" });
  const a = recordedLink(relay.url, {
    deviceId: "Soldier_Alpha",
    ticket: () => "ticket-1",
    prove,
  });
  // Without a ticket there is nothing to prove: no proof, no waiting.
  const b = recordedLink(relay.url, { deviceId: "Soldier_Bravo", prove });
  try {
    a.start();
    b.start();
    await a.until(() => a.link.state === "up" && b.link.state === "up");
    const alpha = relay.registers.find((r) =>
      r.frame.device_id === "Soldier_Alpha"
    )!;
    assertEquals(alpha.frame.ticket, "ticket-1");
    assert(
      await verifyRegistration(identity.publicKey, {
        nonce: alpha.nonce!,
        deviceId: "Soldier_Alpha",
        proof: alpha.frame.proof,
      }),
    );
    const bravo = relay.registers.find((r) =>
      r.frame.device_id === "Soldier_Bravo"
    )!;
    assertEquals(bravo.frame, {
      type: "register",
      device_id: "Soldier_Bravo",
    });
    assertEquals([a.frames, b.frames], [[], []], "challenges are not news");
  } finally {
    await a.link.close();
    await b.link.close();
  }
});

Deno.test("a relay that sends no challenge gets the ticketed registration without proof, after the wait", async () => {
  const relay = challengingRelay({ challenge: false });
  await using _server = relay.server;
  const a = recordedLink(relay.url, {
    deviceId: "Soldier_Alpha",
    ticket: () => "ticket-1",
    prove: () => Promise.reject(new Error("nothing to sign")),
  });
  try {
    a.start();
    await a.until(() => a.link.state === "up");
    assertEquals(relay.registers.map((r) => r.frame), [
      { type: "register", device_id: "Soldier_Alpha", ticket: "ticket-1" },
    ]);
  } finally {
    await a.link.close();
  }
});

Deno.test("a connection closed for its expired ticket is resumed with a fresh one, without a word", async () => {
  let ticket = "ticket-1";
  let renewals = 0;
  const identity = await generateIdentity();
  const relay = challengingRelay({
    admitted: (socket, count) => {
      if (count > 1) return;
      // As the relay does at the ticket's expiry.
      socket.send(JSON.stringify({
        type: "error",
        code: "ticket_invalid",
        message: "ticket expired",
      }));
      socket.close(4002, "ticket expired");
    },
  });
  await using _server = relay.server;
  const a = recordedLink(relay.url, {
    deviceId: "Soldier_Alpha",
    ticket: () => ticket,
    renewTicket: () => {
      ticket = `ticket-${++renewals + 1}`;
      return Promise.resolve();
    },
    prove: (nonce) =>
      proveRegistration(identity, { nonce, deviceId: "Soldier_Alpha" }),
    // A reconnect after a backoff would show in the timing, not the events:
    // a long one proves there was none.
    backoff: { initialMs: 60_000, maxMs: 60_000 },
  });
  try {
    a.start();
    await a.until(() => a.events.length >= 3);
    assertEquals(a.events, [
      "up first Soldier_Alpha",
      "down was up: connection closed (code 4002) (ticket expired)",
      "up again Soldier_Alpha (ticket expired)",
    ]);
    assertEquals(a.frames, [], "the expiry is not handed over");
    assertEquals(renewals, 1);
    const [first, second] = relay.registers.map((r) => r.frame);
    assertEquals([first.ticket, first.resume], ["ticket-1", undefined]);
    assertEquals([second.ticket, second.resume], ["ticket-2", "token-1"]);
    assert(
      await verifyRegistration(identity.publicKey, {
        nonce: relay.registers[1].nonce!,
        deviceId: "Soldier_Alpha",
        proof: second.proof,
      }),
    );
  } finally {
    await a.link.close();
  }
});
