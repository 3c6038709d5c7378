import { assertEquals, assertRejects } from "@std/assert";
import { ConfigError } from "../common/cli.ts";
import { openClientState } from "./client_state.ts";

const mode = async (path: string) => (await Deno.stat(path)).mode! & 0o777;

Deno.test("the identity and pinned keys are private files in a private folder, kept across starts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const first = await openClientState(dir, "Soldier_Alpha");
    await first.pins.pinPeer("Soldier_Bravo", new Uint8Array(32).fill(7));
    await first.pins.pinTicketKey(new Uint8Array(32).fill(9));
    const device = `${dir}/Soldier_Alpha`;
    assertEquals(await mode(device), 0o700);
    assertEquals(await mode(`${device}/identity.json`), 0o600);
    assertEquals(await mode(`${device}/pins.json`), 0o600);
    // A file loosened by hand is made private again at the next start.
    await Deno.chmod(`${device}/identity.json`, 0o644);
    const again = await openClientState(dir, "Soldier_Alpha");
    assertEquals(await mode(`${device}/identity.json`), 0o600);
    assertEquals(again.created, false);
    assertEquals(again.identity.publicKey, first.identity.publicKey);
    assertEquals(again.pins.peer("Soldier_Bravo"), new Uint8Array(32).fill(7));
    assertEquals(again.pins.ticketKey, new Uint8Array(32).fill(9));
    // Each device its own identity.
    const bravo = await openClientState(dir, "Soldier_Bravo");
    assertEquals(bravo.created, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("pins made at once (a handshake and a room hello) are all saved, the client's state intact", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const state = await openClientState(dir, "Soldier_Alpha");
    const peers = ["Soldier_Bravo", "Soldier_Charlie", "Soldier_Delta"];
    await Promise.all([
      ...peers.map((peer, i) =>
        state.pins.pinPeer(peer, new Uint8Array(32).fill(i + 1))
      ),
      state.pins.pinTicketKey(new Uint8Array(32).fill(9)),
    ]);
    const again = await openClientState(dir, "Soldier_Alpha");
    peers.forEach((peer, i) =>
      assertEquals(again.pins.peer(peer), new Uint8Array(32).fill(i + 1))
    );
    assertEquals(again.pins.ticketKey, new Uint8Array(32).fill(9));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an identity file this client did not write is refused with what to do", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/Soldier_Alpha`);
    await Deno.writeTextFile(`${dir}/Soldier_Alpha/identity.json`, "{}");
    await assertRejects(
      () => openClientState(dir, "Soldier_Alpha"),
      ConfigError,
      "move it away to make a new identity",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
