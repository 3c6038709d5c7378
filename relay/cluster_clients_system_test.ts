/**
 * Two real client processes, secure as shipped (enrolled, tickets
 * required), on two relay nodes of a cluster on a real nats-server: every
 * line typed reaches the other side once, both ways.
 */

import { assertEquals } from "@std/assert";
import { TICKET_PUBLIC_KEY_FILE } from "../protocol/mod.ts";
import { skipUnless } from "../testing/skip.ts";
import {
  assertShownOnce,
  chatLine,
  startClient,
  startStack,
  stopClients,
  WAIT_MS,
} from "../client/_test_client.ts";
import { natsMissing, startTwoNodes } from "./_test_nats.ts";

Deno.test({
  name: "two clients on two relay nodes chat both ways, each line shown once",
  ignore: skipUnless("cluster tests", await natsMissing()),
  async fn() {
    await using stack = await startStack();
    const ticketKey = `${stack.kms.dataDir}/${TICKET_PUBLIC_KEY_FILE}`;
    await using cluster = await startTwoNodes({
      open: false,
      args: ["--ticket-key", ticketKey],
      read: [`./${ticketKey}`],
    });
    const alpha = await startClient({
      stack,
      device: "Soldier_Alpha",
      peer: "Soldier_Bravo",
      relayUrl: cluster.node1.url,
    });
    const bravo = await startClient({
      stack,
      device: "Soldier_Bravo",
      peer: "Soldier_Alpha",
      relayUrl: cluster.node2.url,
    });
    try {
      const lines = ["Hold position at grid 42", "Moving to phase line B"];
      for (const text of lines) {
        await alpha.process.type(text);
        await bravo.process.waitForLine(
          chatLine("Soldier_Alpha", text),
          WAIT_MS,
        );
      }
      await bravo.process.type("Copy that, Alpha");
      await alpha.process.waitForLine(
        chatLine("Soldier_Bravo", "Copy that, Alpha"),
        WAIT_MS,
      );
      // Late duplicates would show up within the receipt round trip.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      for (const text of lines) {
        assertShownOnce(bravo, { sender: "Soldier_Alpha", text });
      }
      assertShownOnce(alpha, {
        sender: "Soldier_Bravo",
        text: "Copy that, Alpha",
      });
      // No node handed a packet over twice.
      for (const client of [alpha, bravo]) {
        assertEquals(client.process.output.includes("Replayed packet"), false);
      }
    } finally {
      await stopClients(alpha, bravo);
    }
  },
});
