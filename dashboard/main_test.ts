import { assertEquals, assertStringIncludes } from "@std/assert";
import { removeDataDir, startKms } from "../kms/_test_kms.ts";
import { startDashboard } from "./_test_dashboard.ts";
import { waitFor } from "./_test_fake_kms.ts";

Deno.test("the dashboard process serves the view, forwards actions, and stops cleanly", async () => {
  const kms = await startKms();
  const dashboard = await startDashboard(kms.url);
  try {
    await dashboard.process.waitForLine(/KMS live at/);
    const page = await (await fetch(dashboard.url)).text();
    assertStringIncludes(page, 'data-status="GREEN"');
    const client = await fetch(`${dashboard.url}/islands/_client.js`);
    assertEquals(client.status, 200);
    await client.body?.cancel();

    const attack = await fetch(`${dashboard.url}/api/force_attack`, {
      method: "POST",
      headers: { accept: "application/json", origin: dashboard.url },
    });
    assertEquals((await attack.json()).ok, true);
    // The KMS's answer and its events travel on different connections.
    await waitFor(
      async () =>
        (await (await fetch(dashboard.url)).text()).includes(
          'data-status="RED"',
        ),
      "RED on the page",
    );

    // An open browser stream must not hold the process open at shutdown.
    const events = await fetch(`${dashboard.url}/events`);
    const started = Date.now();
    const status = await dashboard.process.stop("SIGTERM");
    assertEquals(status.code, 0, dashboard.process.tail());
    assertEquals(Date.now() - started < 5_000, true);
    await events.body?.cancel();
  } finally {
    await dashboard.process.stop();
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});
