/**
 * The queue limits JetStream cannot enforce itself, `--queue-max-bytes` and
 * `--sender-share`, hold across two relay nodes on a real nats-server (the
 * queue ledger, queue_ledger.ts): the same frames from senders on both
 * nodes get the same acks as on one relay, and a drained queue's room is
 * free again.
 */

import { assertEquals } from "@std/assert";
import { skipUnless } from "../testing/skip.ts";
import { natsMissing, online, startTwoNodes } from "./_test_nats.ts";
import { startRelay, TestClient } from "./_test_relay.ts";

const missing = await natsMissing();

// Frames of two sizes, S and L: with a share of 0.5 of 4 frames and 2,000
// bytes per recipient, a sender may hold 2 small frames or 1 large one in
// a queue, and a recipient 2 small and 1 large. Of 4,598 bytes in all, a
// sender may hold 2,299: 2 small and 1 large, not 2 large.
const S = 150;
const L = 1000;
const LIMITS = [
  "--queue-max-frames",
  "4",
  "--queue-max-bytes",
  "2000",
  "--queue-total-bytes",
  String(4 * S + 4 * L - 2),
  "--sender-share",
  "0.5",
];

// A chat frame of exactly `bytes` UTF-8 bytes.
function chat(
  sender: string,
  recipient: string,
  id: string,
  bytes: number,
): string {
  const frame = { type: "chat", sender, recipient, id, ciphertext: "" };
  const padding = bytes - JSON.stringify(frame).length;
  return JSON.stringify({ ...frame, ciphertext: "0".repeat(padding) });
}

// Sends one frame and returns its ack's status and reason.
async function sent(
  client: TestClient,
  frame: string,
): Promise<[unknown, unknown]> {
  client.send(frame);
  const id = JSON.parse(frame).id;
  const ack = await client.next((f) => f.type === "ack" && f.id === id);
  return [ack.frame.status, ack.frame.reason];
}

/**
 * Senders on `first` and `second` (one relay's URL twice, or two nodes)
 * fill offline recipients' queues to each limit; `Rcpt1` comes back on
 * `second`, drains and leaves; its room is then free. Returns every ack.
 */
async function scenario(first: string, second: string): Promise<unknown[]> {
  await using alpha = await online(first, "Alpha");
  await using delta = await online(first, "Delta");
  await using bravo = await online(second, "Bravo");
  await using charlie = await online(second, "Charlie");
  const acks: unknown[] = [];
  const step = async (client: TestClient, frame: string) =>
    acks.push([JSON.parse(frame).id, ...await sent(client, frame)]);
  // Alpha's share of Rcpt1's frames, Bravo's of its bytes, then Rcpt1's
  // own bytes for Charlie, who holds nothing there.
  await step(alpha, chat("Alpha", "Rcpt1", "a-1", S));
  await step(alpha, chat("Alpha", "Rcpt1", "a-2", S));
  await step(alpha, chat("Alpha", "Rcpt1", "a-3", S));
  await step(bravo, chat("Bravo", "Rcpt1", "b-1", L));
  await step(bravo, chat("Bravo", "Rcpt1", "b-2", L));
  await step(charlie, chat("Charlie", "Rcpt1", "c-1", L));
  // Alpha's share of all queues, while Delta still gets in.
  await step(alpha, chat("Alpha", "Rcpt2", "a-4", L));
  await step(alpha, chat("Alpha", "Rcpt3", "a-5", L));
  await step(delta, chat("Delta", "Rcpt3", "d-1", L));
  {
    await using rcpt1 = await online(second, "Rcpt1");
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await rcpt1.nextOfType("chat"));
    acks.push(got.map((r) => r.frame.id));
    for (
      const [client, id] of [[alpha, "a-1"], [alpha, "a-2"], [
        bravo,
        "b-1",
      ]] as const
    ) {
      const ack = await client.next((f) => f.type === "ack" && f.id === id);
      acks.push([id, ack.frame.status]);
    }
    await using watcher = await online(first, "Watcher");
    rcpt1.socket.close();
    await watcher.next((f) =>
      f.type === "presence" && !(f.online as string[]).includes("Rcpt1")
    );
  }
  // Rcpt1's queue is empty: its bytes and Alpha's share are free again.
  await step(charlie, chat("Charlie", "Rcpt1", "c-2", L));
  await step(alpha, chat("Alpha", "Rcpt1", "a-6", S));
  await step(alpha, chat("Alpha", "Rcpt1", "a-7", S));
  await step(alpha, chat("Alpha", "Rcpt1", "a-8", S));
  return acks;
}

const QUEUED = ["queued", "offline"];

Deno.test({
  name:
    "--queue-max-bytes and --sender-share hold across two nodes: senders on both get the acks of one relay, and a drained queue's room is free again",
  ignore: skipUnless("cluster tests", missing),
  async fn() {
    const single = await (async () => {
      await using relay = await startRelay({ open: true, args: LIMITS });
      return await scenario(relay.url, relay.url);
    })();
    await using cluster = await startTwoNodes({ args: LIMITS });
    const across = await scenario(cluster.node1.url, cluster.node2.url);
    assertEquals(across, single);
    assertEquals(across, [
      ["a-1", ...QUEUED],
      ["a-2", ...QUEUED],
      ["a-3", "dropped", "queue_full"],
      ["b-1", ...QUEUED],
      ["b-2", "dropped", "queue_bytes"],
      ["c-1", "dropped", "queue_bytes"],
      ["a-4", ...QUEUED],
      ["a-5", "dropped", "relay_full"],
      ["d-1", ...QUEUED],
      ["a-1", "a-2", "b-1"],
      ["a-1", "delivered"],
      ["a-2", "delivered"],
      ["b-1", "delivered"],
      ["c-2", ...QUEUED],
      ["a-6", ...QUEUED],
      ["a-7", ...QUEUED],
      ["a-8", "dropped", "queue_full"],
    ]);
  },
});
