/**
 * The relay as a cluster: a real nats-server with JetStream and real relay
 * processes on it (`--nats`), driven by WebSocket clients. Chat across two
 * nodes exactly once and in order, frames queued for an offline device
 * surviving the SIGKILL of the node that queued them, one device id in the
 * whole cluster and its resume on another node, rooms across nodes, and
 * NATS restarting under the nodes.
 */

import { assert, assertEquals } from "@std/assert";
import { skipUnless } from "../testing/skip.ts";
import {
  natsMissing,
  online,
  startNats,
  startNode,
  startTwoNodes,
} from "./_test_nats.ts";
import { type Received, TestClient, type TestRelay } from "./_test_relay.ts";
import { membershipFrame, roomChat, testKms } from "./_test_rooms.ts";

const BASE64URL = { alphabet: "base64url", omitPadding: true } as const;
const missing = await natsMissing();

function chat(sender: string, recipient: string, id: string): string {
  return JSON.stringify({
    type: "chat",
    sender,
    recipient,
    id,
    ciphertext: "5ec7e7",
  });
}

async function take(
  client: TestClient,
  type: string,
  count: number,
): Promise<Received[]> {
  const got = [];
  for (let i = 0; i < count; i++) got.push(await client.nextOfType(type));
  return got;
}

// Waits until a node's /metrics shows `name` at `value`.
async function metricReaches(relay: TestRelay, name: string, value: number) {
  for (let i = 0; i < 100; i++) {
    if ((await relay.metrics()).get(name) === value) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${name} never reached ${value}`);
}

// A test that needs nats-server: skipped loudly without it, failed in CI.
function clusterTest(name: string, fn: () => Promise<void>): void {
  Deno.test({ name, ignore: skipUnless("cluster tests", missing), fn });
}

async function nothingMore(client: TestClient, type: string): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  assertEquals(client.inbox.filter((r) => r.frame.type === type), []);
}

clusterTest(
  "two devices on two nodes chat both ways, each frame exactly once and in order, acked delivered",
  async () => {
    await using cluster = await startTwoNodes();
    const { node1, node2 } = cluster;
    await using alpha = await online(node1.url, "Soldier_Alpha");
    await using bravo = await TestClient.connect(node2.url);
    const registered = await bravo.register("Soldier_Bravo.2");
    assertEquals(registered.online, ["Soldier_Alpha", "Soldier_Bravo.2"]);
    const n = 50;
    for (let i = 0; i < n; i++) {
      alpha.send(chat("Soldier_Alpha", "Soldier_Bravo.2", `a-${i}`));
      bravo.send(chat("Soldier_Bravo.2", "Soldier_Alpha", `b-${i}`));
    }
    const toBravo = await take(bravo, "chat", n);
    const toAlpha = await take(alpha, "chat", n);
    assertEquals(
      toBravo.map((r) => r.text),
      Array.from(
        { length: n },
        (_, i) => chat("Soldier_Alpha", "Soldier_Bravo.2", `a-${i}`),
      ),
    );
    assertEquals(
      toAlpha.map((r) => r.frame.id),
      Array.from({ length: n }, (_, i) => `b-${i}`),
    );
    for (const client of [alpha, bravo]) {
      const acks = await take(client, "ack", n);
      assertEquals(
        new Set(acks.map((r) => r.frame.status)),
        new Set(["delivered"]),
      );
    }
    await nothingMore(bravo, "chat");
    await nothingMore(alpha, "chat");
    const metrics = await node1.metrics();
    assertEquals(metrics.get("qstcs_relay_cluster_frames_out_total"), n);
    assertEquals(metrics.get("qstcs_relay_nats_connected"), 1);
  },
);

clusterTest(
  "frames queued for an offline device survive a SIGKILL of the node that queued them and reach it once on another node",
  async () => {
    await using nats = await startNats();
    const node1 = await startNode(nats, "node1");
    await using node2 = await startNode(nats, "node2");
    {
      await using alpha = await online(node1.url, "Soldier_Alpha");
      for (let i = 0; i < 20; i++) {
        alpha.send(chat("Soldier_Alpha", "Soldier_Bravo", `q-${i}`));
      }
      const acks = await take(alpha, "ack", 20);
      assertEquals(
        acks.map((r) => [r.frame.status, r.frame.reason]),
        Array(20).fill(["queued", "offline"]),
      );
      await node1.process.stop("SIGKILL");
    }
    await using bravo = await online(node2.url, "Soldier_Bravo");
    const got = await take(bravo, "chat", 20);
    assertEquals(
      got.map((r) => r.frame.id),
      Array.from({ length: 20 }, (_, i) => `q-${i}`),
    );
    await nothingMore(bravo, "chat");
    // The sender comes back on the surviving node (its claim on the dead
    // one does not keep it out) and finds the delivered acks waiting.
    await using alpha = await online(node2.url, "Soldier_Alpha");
    const acks = await take(alpha, "ack", 20);
    assertEquals(
      acks.map((r) => [r.frame.id, r.frame.status]),
      Array.from({ length: 20 }, (_, i) => [`q-${i}`, "delivered"]),
    );
    await metricReaches(node2, "qstcs_relay_jetstream_queue_frames", 0);
  },
);

clusterTest(
  "frames sent while a device drains its queue on another node go in behind it: every frame once, in order",
  async () => {
    // One sender's 250 frames: past a quarter of the queue, its default share.
    await using cluster = await startTwoNodes({
      args: ["--sender-share", "1"],
    });
    const { node1, node2 } = cluster;
    await using alpha = await online(node1.url, "Soldier_Alpha");
    for (let i = 0; i < 200; i++) {
      alpha.send(chat("Soldier_Alpha", "Soldier_Bravo", `m-${i}`));
    }
    await take(alpha, "ack", 200);
    await using bravo = await TestClient.connect(node2.url);
    bravo.send({ type: "register", device_id: "Soldier_Bravo" });
    // Sent while node 2 drains the 200 waiting frames.
    for (let i = 200; i < 250; i++) {
      alpha.send(chat("Soldier_Alpha", "Soldier_Bravo", `m-${i}`));
    }
    const got = await take(bravo, "chat", 250);
    assertEquals(
      got.map((r) => r.frame.id),
      Array.from({ length: 250 }, (_, i) => `m-${i}`),
    );
    await nothingMore(bravo, "chat");
  },
);

clusterTest(
  "a frame queued past --queue-max-age-ms is dropped with an expired ack to its sender",
  async () => {
    await using cluster = await startTwoNodes({
      args: ["--queue-max-age-ms", "1000"],
    });
    const { node1, node2 } = cluster;
    await using alpha = await online(node1.url, "Soldier_Alpha");
    alpha.send(chat("Soldier_Alpha", "Soldier_Bravo", "old"));
    assertEquals((await alpha.nextOfType("ack")).frame.reason, "offline");
    const expired = (await alpha.nextOfType("ack")).frame;
    assertEquals([expired.id, expired.status, expired.reason], [
      "old",
      "dropped",
      "expired",
    ]);
    await using bravo = await online(node2.url, "Soldier_Bravo");
    await nothingMore(bravo, "chat");
    await nothingMore(alpha, "ack");
  },
);

clusterTest(
  "a device id held on node 1 is refused on node 2; its resume token moves it there",
  async () => {
    await using cluster = await startTwoNodes();
    const { node1, node2 } = cluster;
    await using first = await TestClient.connect(node1.url);
    const { resume } = await first.register("Soldier_Alpha");
    await using copycat = await TestClient.connect(node2.url);
    copycat.send({ type: "register", device_id: "Soldier_Alpha" });
    assertEquals(
      (await copycat.nextOfType("error")).frame.code,
      "duplicate_device",
    );
    await using moved = await TestClient.connect(node2.url);
    await moved.register("Soldier_Alpha", { resume });
    assertEquals((await first.closed).code, 4001);
    await using bravo = await TestClient.connect(node1.url);
    const registered = await bravo.register("Soldier_Bravo");
    assertEquals(registered.online, ["Soldier_Alpha", "Soldier_Bravo"]);
    bravo.send(chat("Soldier_Bravo", "Soldier_Alpha", "m-1"));
    assertEquals((await moved.nextOfType("chat")).frame.id, "m-1");
    assertEquals((await bravo.nextOfType("ack")).frame.status, "delivered");
  },
);

clusterTest(
  "a room spans nodes: fan-out reaches members on both nodes once, an offline member's copy waits, room_presence counts remote members",
  async () => {
    const kms = await testKms();
    const dir = await Deno.makeTempDir({ prefix: "relay-cluster-" });
    const keyFile = `${dir}/ticket_key.pub`;
    await Deno.writeTextFile(
      keyFile,
      kms.identity.publicKey.toBase64(BASE64URL),
    );
    const withKey = { args: ["--ticket-key", keyFile], read: [keyFile] };
    await using cluster = await startTwoNodes(withKey);
    const { node1, node2 } = cluster;
    const squad = ["Alpha", "Bravo", "Charlie", "Delta"];
    const membership = await kms.membership({ epoch: 1, members: squad });
    await using alpha = await TestClient.connect(node1.url);
    await using bravo = await TestClient.connect(node1.url);
    await using charlie = await TestClient.connect(node2.url);
    let presence;
    for (
      const [client, id] of [[alpha, "Alpha"], [bravo, "Bravo"], [
        charlie,
        "Charlie",
      ]] as const
    ) {
      await client.register(id);
      client.send(membershipFrame("room_join", membership));
      presence = (await client.nextOfType("room_presence")).frame;
    }
    // Charlie, on node 2, is told of the members node 1 holds.
    assertEquals(presence?.online, ["Alpha", "Bravo", "Charlie"]);
    alpha.send(roomChat("Alpha", "r-1"));
    assertEquals((await bravo.nextOfType("room_chat")).frame.id, "r-1");
    assertEquals((await charlie.nextOfType("room_chat")).frame.id, "r-1");
    const ack = (await alpha.nextOfType("ack")).frame;
    assertEquals([ack.status, ack.delivered, ack.queued, ack.dropped], [
      "queued",
      2,
      1,
      0,
    ]);
    await using delta = await online(node2.url, "Delta");
    assertEquals((await delta.nextOfType("room_chat")).frame.id, "r-1");
    await nothingMore(charlie, "room_chat");
    // A new epoch joined on node 1 reaches node 2 through the cluster:
    // Charlie hears of it, and fans out to the new member on node 1.
    const epoch2 = await kms.membership({
      epoch: 2,
      members: [...squad, "Echo"],
    });
    await using echo = await online(node1.url, "Echo");
    echo.send(membershipFrame("room_join", epoch2));
    await echo.nextOfType("room_presence");
    const told = await charlie.next((f) =>
      f.type === "room_presence" && f.epoch === 2
    );
    assertEquals(told.frame.online, [...squad, "Echo"]);
    charlie.send(roomChat("Charlie", "r-2"));
    assertEquals((await echo.nextOfType("room_chat")).frame.id, "r-2");
    const ack2 = (await charlie.nextOfType("ack")).frame;
    assertEquals([ack2.status, ack2.delivered], ["delivered", 4]);
    await Deno.remove(dir, { recursive: true });
  },
);

clusterTest(
  "NATS restarts: the nodes reconnect and chat resumes; a frame sent while NATS is down is acked dropped (unavailable), never delivered",
  async () => {
    await using cluster = await startTwoNodes();
    const { node1, node2 } = cluster;
    await using alpha = await online(node1.url, "Soldier_Alpha");
    await using bravo = await online(node2.url, "Soldier_Bravo");
    alpha.send(chat("Soldier_Alpha", "Soldier_Bravo", "before"));
    assertEquals((await bravo.nextOfType("chat")).frame.id, "before");
    assertEquals((await alpha.nextOfType("ack")).frame.status, "delivered");
    const restarted = cluster.nats.restart({ downMs: 1000 });
    await node1.process.waitForLine(/NATS connection lost/);
    alpha.send(chat("Soldier_Alpha", "Soldier_Bravo", "during"));
    const during = (await alpha.nextOfType("ack")).frame;
    assertEquals([during.status, during.reason], ["dropped", "unavailable"]);
    await restarted;
    await metricReaches(node1, "qstcs_relay_nats_connected", 1);
    await metricReaches(node2, "qstcs_relay_nats_connected", 1);
    alpha.send(chat("Soldier_Alpha", "Soldier_Bravo", "after"));
    assertEquals((await bravo.nextOfType("chat")).frame.id, "after");
    assertEquals((await alpha.nextOfType("ack")).frame.status, "delivered");
    bravo.send(chat("Soldier_Bravo", "Soldier_Alpha", "back"));
    assertEquals((await alpha.nextOfType("chat")).frame.id, "back");
    assert(
      (await node1.metrics()).get("qstcs_relay_nats_reconnects_total")! >= 1,
    );
    await nothingMore(bravo, "chat");
  },
);
