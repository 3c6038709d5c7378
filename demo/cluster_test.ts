import { assertEquals } from "@std/assert";
import { freePort } from "../common/service_process.ts";
import { TestClient } from "../relay/_test_relay.ts";
import { natsMissing } from "../relay/_test_nats.ts";
import { skipUnless } from "../testing/skip.ts";
import { startCluster } from "./cluster.ts";

Deno.test({
  name:
    "deno task cluster's nodes share one cluster, and stop with nats-server",
  ignore: skipUnless("deno task cluster", await natsMissing()),
  async fn() {
    const store = await Deno.makeTempDir({ prefix: "qstcs_cluster_" });
    const cluster = await startCluster({
      ports: [freePort(), freePort()],
      natsPort: freePort(),
      store,
      relayArgs: ["--open"],
    });
    try {
      await using alpha = await TestClient.connect(cluster.urls[0]);
      await using bravo = await TestClient.connect(cluster.urls[1]);
      await alpha.register("Alpha");
      assertEquals((await bravo.register("Bravo")).online, ["Alpha", "Bravo"]);
    } finally {
      await cluster.stop();
      await Deno.remove(store, { recursive: true });
    }
  },
});
