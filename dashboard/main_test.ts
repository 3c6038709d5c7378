import { assertEquals, assertStringIncludes } from "@std/assert";
import { removeDataDir, startKms } from "../kms/_test_kms.ts";
import { enrollOperator, logIn, startDashboard } from "./_test_dashboard.ts";
import { waitUntil } from "../testing/wait.ts";

Deno.test("the dashboard process serves the view to its operator, forwards actions with the operator's token to a secure KMS, and stops cleanly", async () => {
  const kms = await startKms({ open: false });
  const operator = await enrollOperator(kms.dataDir);
  const dashboard = await startDashboard(kms.url, { operator });
  try {
    await dashboard.process.waitForLine(/KMS live at/);
    assertStringIncludes(
      dashboard.process.output,
      "[DASHBOARD] operator Operator may log in",
    );
    // Without a session: the login, and no action.
    assertStringIncludes(
      await (await fetch(dashboard.url)).text(),
      "Log in as the operator",
    );
    const anonymous = await fetch(`${dashboard.url}/api/force_attack`, {
      method: "POST",
      headers: { accept: "application/json", origin: dashboard.url },
    });
    assertEquals(anonymous.status, 401);
    await anonymous.body?.cancel();

    const { cookie, csrf } = await logIn(dashboard.url, operator);
    const view = (headers = {}) =>
      fetch(dashboard.url, { headers: { cookie, ...headers } });
    assertStringIncludes(await (await view()).text(), 'data-status="GREEN"');
    const client = await fetch(`${dashboard.url}/islands/_client.js`);
    assertEquals(client.status, 200);
    await client.body?.cancel();

    const attack = await fetch(`${dashboard.url}/api/force_attack`, {
      method: "POST",
      headers: {
        accept: "application/json",
        origin: dashboard.url,
        cookie,
        "x-csrf-token": csrf,
      },
    });
    assertEquals((await attack.json()).ok, true);
    // Without the dashboard's token the KMS itself refuses; with it, the
    // KMS audits the operator by name.
    assertEquals((await kms.post("/force_attack")).status, 401);
    await kms.process.waitForLine(/actor=Operator source=127\.0\.0\.1:/);
    // The KMS's answer and its events travel on different connections.
    await waitUntil(
      async () => (await (await view()).text()).includes('data-status="RED"'),
      "RED on the page",
    );
    await dashboard.process.waitForLine(
      /^\[DASHBOARD\] operator action force_attack by Operator from 127\.0\.0\.1:/,
    );
    // The operator's token is on no log line.
    assertEquals(dashboard.process.output.includes(operator.token), false);

    // An open browser stream must not hold the process open at shutdown.
    const events = await fetch(`${dashboard.url}/events`, {
      headers: { cookie },
    });
    assertEquals(events.status, 200);
    const started = Date.now();
    const status = await dashboard.process.stop("SIGTERM");
    assertEquals(status.code, 0, dashboard.process.tail());
    assertEquals(Date.now() - started < 5_000, true);
    await events.body?.cancel();
  } finally {
    await dashboard.process.stop();
    await kms.stop();
    await removeDataDir(kms.dataDir);
    await operator.remove();
  }
});

Deno.test("a KMS started with --open is reported loudly", async () => {
  const kms = await startKms({ open: true });
  const dashboard = await startDashboard(kms.url);
  try {
    await dashboard.process.waitForLine(/WARNING: the KMS runs --open/);
    assertStringIncludes(
      dashboard.process.output,
      "[DASHBOARD] no --operator-credentials: nobody can log in",
    );
    assertStringIncludes(
      await (await fetch(`${dashboard.url}/login`)).text(),
      "KMS IN OPEN MODE",
    );
  } finally {
    await dashboard.process.stop();
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});

Deno.test("a bad --operator-credentials file stops the dashboard at start with one line", async () => {
  const kms = await startKms();
  try {
    const dashboard = startDashboard(kms.url, {
      operator: {
        name: "Operator",
        token: "",
        file: "credentials/test-none/Operator.json",
        remove: () => Promise.resolve(),
      },
    });
    const error = await dashboard.then(() => null, (e: Error) => e.message);
    assertStringIncludes(
      error ?? "it started",
      "[DASHBOARD] --operator-credentials credentials/test-none/Operator.json: cannot read it",
    );
  } finally {
    await kms.stop();
    await removeDataDir(kms.dataDir);
  }
});
