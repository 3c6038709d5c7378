import { assertEquals } from "@std/assert";
import { parseRelayConfig } from "./config.ts";
import { createRelayHandler } from "./server.ts";
import { chat, setupHub } from "./_test_hub.ts";

const TOKEN = "relay-admin-token-0123456789";
const info = {
  remoteAddr: { transport: "tcp", hostname: "127.0.0.1", port: 50000 },
  completed: Promise.resolve(),
} as Deno.ServeHandlerInfo<Deno.NetAddr>;

function get(token?: string): Request {
  return new Request("http://relay/devices", {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

Deno.test("GET /devices does not exist without an admin token", async () => {
  const { hub } = setupHub();
  const response = await createRelayHandler(hub)(get(TOKEN), info);
  assertEquals(response.status, 404);
  await response.body?.cancel();
});

Deno.test("GET /devices refuses a missing or wrong token with 401", async () => {
  const { hub } = setupHub();
  const handler = createRelayHandler(hub, { adminToken: TOKEN });
  for (const token of [undefined, "relay-admin-token-012345678x"]) {
    const response = await handler(get(token), info);
    assertEquals(response.status, 401);
    assertEquals(typeof (await response.json()).message, "string");
  }
});

Deno.test("GET /devices reports devices, their queues, tallies and drops by reason", async () => {
  const { hub, connect } = setupHub({
    queueMaxFrames: 3,
    senderShare: 1,
    maxBufferedBytes: 1,
  });
  const alpha = connect("Soldier_Alpha");
  connect("Soldier_Bravo").stuck = true;
  // Bravo stops reading after the first: three frames wait, the fifth is
  // dropped.
  for (let i = 0; i < 5; i++) {
    hub.receive(alpha, chat("Soldier_Alpha", "Soldier_Bravo", `m-${i}`));
  }
  const response = await createRelayHandler(hub, { adminToken: TOKEN })(
    get(TOKEN),
    info,
  );
  assertEquals(response.status, 200);
  const report = await response.json();
  const [first, second] = report.devices;
  assertEquals(
    [first.device_id, first.sent, first.dropped, first.queued_frames],
    ["Soldier_Alpha", 5, 1, 0],
  );
  assertEquals(
    [second.device_id, second.sent, second.queued_frames],
    ["Soldier_Bravo", 0, 3],
  );
  assertEquals(second.queued_bytes > 0, true);
  assertEquals(Math.abs(first.connected_since - Date.now()) < 60_000, true);
  assertEquals(report.queued_frames, 3);
  assertEquals(report.drops, { queue_full: 1 });
});

Deno.test("--admin-token-file and RELAY_ADMIN_TOKEN_FILE name the token file", () => {
  const open = ["--open"];
  assertEquals(
    parseRelayConfig(
      [...open, "--admin-token-file", "a.token"],
      () => undefined,
    )
      .adminTokenFile,
    "a.token",
  );
  assertEquals(
    parseRelayConfig(
      open,
      (name) => name === "RELAY_ADMIN_TOKEN_FILE" ? "b.token" : undefined,
    ).adminTokenFile,
    "b.token",
  );
  assertEquals(
    parseRelayConfig(open, () => undefined).adminTokenFile,
    undefined,
  );
});
