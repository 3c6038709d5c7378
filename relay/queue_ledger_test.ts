import { assertEquals } from "@std/assert";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "@nats-io/transport-node";
import { skipUnless } from "../testing/skip.ts";
import { natsMissing, startNats, type TestNats } from "./_test_nats.ts";
import { type FitLimits, OfflineQueues } from "./offline_queue.ts";
import {
  GENERATION_MS,
  type LedgerFrame,
  QueueLedger,
  type Reserved,
} from "./queue_ledger.ts";
import { queueSubject } from "./subject_token.ts";

const missing = await natsMissing();
const LIFETIME_MS = 5 * 60_000;

function ledgerTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: skipUnless("ledger tests", missing), fn });
}

// A node's ledger: its own NATS connection on the shared bucket.
async function node(
  nats: TestNats,
  limits: FitLimits,
  now?: () => number,
): Promise<QueueLedger & AsyncDisposable> {
  const nc: NatsConnection = await connect({ servers: nats.url });
  const kv = await new Kvm(nc).create("qstcs_queue_usage", { history: 1 });
  return Object.assign(
    new QueueLedger(kv, { limits, lifetimeMs: LIFETIME_MS, now }),
    {
      [Symbol.asyncDispose]: () => nc.close(),
    },
  );
}

function from(sender: string | undefined, bytes: number): LedgerFrame {
  return { sender, bytes };
}

function reason(reserved: Reserved): string | undefined {
  return reserved.ok ? undefined : reserved.reason;
}

ledgerTest(
  "QueueLedger refuses past a recipient's bytes and frames with queue_bytes and queue_full, and a release frees room",
  async () => {
    await using nats = await startNats();
    await using ledger = await node(nats, {
      maxFrames: 5,
      maxBytes: 100,
      totalBytes: 10_000,
      senderShare: 1,
    });
    const bravo = queueSubject("Soldier_Bravo.2");
    const first = await ledger.reserve(bravo, from("a", 60));
    assertEquals(reason(await ledger.reserve(bravo, from("a", 40))), undefined);
    assertEquals(
      reason(await ledger.reserve(bravo, from("b", 1))),
      "queue_bytes",
    );
    // Another recipient is counted apart.
    const charlie = queueSubject("Charlie");
    for (let i = 0; i < 5; i++) {
      assertEquals(
        reason(await ledger.reserve(charlie, from(undefined, 1))),
        undefined,
      );
    }
    assertEquals(
      reason(await ledger.reserve(charlie, from(undefined, 1))),
      "queue_full",
    );
    assertEquals(first.ok, true);
    if (first.ok) await ledger.release(bravo, from("a", 60), first.generation);
    assertEquals(reason(await ledger.reserve(bravo, from("b", 60))), undefined);
    assertEquals(
      reason(await ledger.reserve(bravo, from("b", 1))),
      "queue_bytes",
    );
  },
);

ledgerTest(
  "QueueLedger keeps a sender within its share with the reasons OfflineQueues gives, across two nodes",
  async () => {
    const limits = {
      maxFrames: 8,
      maxBytes: 40,
      totalBytes: 80,
      senderShare: 0.25,
    };
    await using nats = await startNats();
    await using node1 = await node(nats, limits);
    await using node2 = await node(nats, limits);
    const queues = new OfflineQueues({ ...limits, maxAgeMs: 60_000 });
    // The steps of offline_queue_test.ts's share test, alternating nodes.
    const steps: [string, string | undefined, number][] = [
      ["b", "m", 1],
      ["b", "m", 1],
      ["b", "m", 1],
      ["c", "m", 10],
      ["c", "m", 1],
      ["d", "m", 8],
      ["e", "m", 1],
      ["b", "a", 5],
      ["e", undefined, 3],
    ];
    const granted: Reserved[] = [];
    for (const [i, [recipient, sender, bytes]] of steps.entries()) {
      const ledger = i % 2 ? node2 : node1;
      const reserved = await ledger.reserve(
        queueSubject(recipient),
        from(sender, bytes),
      );
      const single = queues.push(recipient, {
        text: "",
        bytes,
        sender,
        queuedAt: 0,
      });
      assertEquals(reason(reserved), single, `step ${i}`);
      granted.push(reserved);
    }
    assertEquals(granted.map(reason), [
      undefined,
      undefined,
      "queue_full",
      undefined,
      "queue_bytes",
      undefined,
      "relay_full",
      undefined,
      undefined,
    ]);
    // What m's frame for d gave back, m may use again, on either node.
    const d = granted[5];
    if (d.ok) {
      await node2.release(queueSubject("d"), from("m", 8), d.generation);
    }
    assertEquals(
      reason(await node1.reserve(queueSubject("e"), from("m", 1))),
      undefined,
    );
  },
);

ledgerTest(
  "QueueLedger grants no more than the limit to concurrent reserves from two nodes",
  async () => {
    const limits = {
      maxFrames: 1000,
      maxBytes: 100,
      totalBytes: 1e6,
      senderShare: 1,
    };
    await using nats = await startNats();
    await using node1 = await node(nats, limits);
    await using node2 = await node(nats, limits);
    const subject = queueSubject("Bravo");
    // A burst of 30 at once per node (batched into few writes), and three
    // senders per node one frame after another (a write each, interleaved
    // with the other node's).
    const burst = [node1, node2].flatMap((ledger, n) =>
      Array.from(
        { length: 30 },
        (_, i) => ledger.reserve(subject, from(`burst-${n}-${i % 3}`, 1)),
      )
    );
    const oneByOne = [node1, node2].flatMap((ledger, n) =>
      Array.from({ length: 3 }, async (_, i) => {
        const outcomes = [];
        for (let j = 0; j < 40; j++) {
          outcomes.push(await ledger.reserve(subject, from(`s-${n}-${i}`, 1)));
        }
        return outcomes;
      })
    );
    const outcomes = [
      ...await Promise.all(burst),
      ...(await Promise.all(oneByOne)).flat(),
    ];
    const grants = outcomes.filter((o) => o.ok);
    assertEquals(grants.length, 100);
    assertEquals(
      new Set(outcomes.filter((o) => !o.ok).map(reason)),
      new Set(["queue_bytes"]),
    );
    assertEquals(
      reason(await node2.reserve(subject, from("late", 1))),
      "queue_bytes",
    );
  },
);

ledgerTest(
  "QueueLedger forgets usage once every frame of its generation must have left the stream",
  async () => {
    const limits = {
      maxFrames: 10,
      maxBytes: 100,
      totalBytes: 1000,
      senderShare: 0.5,
    };
    let now = 10 * GENERATION_MS;
    await using nats = await startNats();
    await using ledger = await node(nats, limits, () => now);
    const subject = queueSubject("Bravo");
    // A node killed before its publish leaves these reservations behind.
    assertEquals(
      reason(await ledger.reserve(subject, from("m", 50))),
      undefined,
    );
    assertEquals(
      reason(await ledger.reserve(subject, from("m", 1))),
      "queue_bytes",
    );
    now += GENERATION_MS;
    assertEquals(
      reason(await ledger.reserve(subject, from("a", 50))),
      undefined,
    );
    // Still counted for as long as a frame reserved then might wait.
    now = 11 * GENERATION_MS + LIFETIME_MS - 1;
    assertEquals(
      reason(await ledger.reserve(subject, from("m", 1))),
      "queue_bytes",
    );
    now = 11 * GENERATION_MS + LIFETIME_MS;
    assertEquals(
      reason(await ledger.reserve(subject, from("m", 50))),
      undefined,
    );
    assertEquals(
      reason(await ledger.reserve(subject, from("b", 1))),
      "queue_bytes",
    );
  },
);
