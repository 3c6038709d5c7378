import { assert, assertEquals } from "@std/assert";
import { skipUnless } from "../testing/skip.ts";
import { type Claim, ClusterDirectory } from "./cluster_directory.ts";
import { DEFAULT_LIMITS } from "./config.ts";
import { type NatsLink, openNatsLink } from "./nats_link.ts";
import { natsMissing, startNats, type TestNats } from "./_test_nats.ts";

const missing = await natsMissing();

// A node's directory: its own NATS connection on the shared bucket.
async function node(
  nats: TestNats,
  name: string,
): Promise<{ link: NatsLink; directory: ClusterDirectory } & AsyncDisposable> {
  const link = await openNatsLink({
    servers: [nats.url],
    node: name,
    limits: DEFAULT_LIMITS,
    log: () => {},
  });
  const directory = new ClusterDirectory(link, {
    node: name,
    events: { held: () => {}, released: () => {} },
  });
  return {
    link,
    directory,
    async [Symbol.asyncDispose]() {
      directory.close();
      await link.nc.close();
    },
  };
}

function claimOf(device: string, node: string): Claim {
  return { device, node, resume_sha256: "x" };
}

Deno.test({
  name:
    "caughtUp waits until the watch has shown a revision, and no longer than its timeout",
  ignore: skipUnless("directory tests", missing),
  async fn() {
    await using nats = await startNats();
    await using one = await node(nats, "n1");
    await using two = await node(nats, "n2");
    const first = await one.directory.claim(
      claimOf("Soldier_Alpha", "n1"),
      () => Promise.resolve(false),
    );
    if (first === "held") throw new Error("a free id was held");
    let caught = false;
    const waiting = two.directory.caughtUp(first + 1, 10_000).then(() =>
      caught = true
    );
    await two.directory.caughtUp(first, 10_000);
    assertEquals([...two.directory.remote()], ["Soldier_Alpha"]);
    // The next revision is not written yet: still waiting.
    await new Promise((resolve) => setTimeout(resolve, 200));
    assertEquals(caught, false);
    await one.directory.claim(
      claimOf("Soldier_Bravo", "n1"),
      () => Promise.resolve(false),
    );
    await waiting;
    assertEquals([...two.directory.remote()].sort(), [
      "Soldier_Alpha",
      "Soldier_Bravo",
    ]);
    // A revision never written: given up after the timeout.
    const started = performance.now();
    await two.directory.caughtUp(first + 1000, 100);
    assert(performance.now() - started >= 90);
  },
});
