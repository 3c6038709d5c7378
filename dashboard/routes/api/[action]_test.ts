import { assertEquals, assertStringIncludes } from "@std/assert";
import { FakeKms } from "../../_test_fake_kms.ts";
import {
  TEST_OPERATOR,
  TEST_ORIGIN,
  type TestSession,
  testSite,
} from "../../_test_site.ts";

const fromPage = {
  accept: "application/json",
  origin: TEST_ORIGIN,
  "sec-fetch-site": "same-origin",
};

function post(
  site: ReturnType<typeof testSite>,
  path: string,
  session: TestSession | null,
  headers: Record<string, string> = fromPage,
) {
  return site.handle(path, {
    method: "POST",
    headers: {
      ...headers,
      ...(session
        ? { cookie: session.cookie, "x-csrf-token": session.csrf }
        : {}),
    },
  });
}

Deno.test("POST /api/force_attack and /api/reset go to the KMS with the operator's token", async () => {
  const kms = new FakeKms();
  const site = testSite(kms);
  const session = await site.login();
  const attack = await post(site, "/api/force_attack", session);
  assertEquals(attack.status, 200);
  assertEquals(await attack.json(), {
    ok: true,
    message: "Attack simulated: link RED, QBER 25.0%",
  });
  const reset = await post(site, "/api/reset", session);
  assertEquals((await reset.json()).ok, true);
  assertEquals(kms.requests, ["POST /force_attack", "POST /reset"]);
  assertEquals(kms.actionAuthorizations, [
    `Bearer ${TEST_OPERATOR.token}`,
    `Bearer ${TEST_OPERATOR.token}`,
  ]);
  // Audited here too, with who and from where.
  assertEquals(
    site.logs.filter((line) => line.startsWith("operator action")),
    [
      "operator action force_attack by Operator from 127.0.0.9:40000: done",
      "operator action reset by Operator from 127.0.0.9:40000: done",
    ],
  );
  await site.monitor.close();
});

Deno.test("a plain form post with the CSRF field is redirected back to the page", async () => {
  const site = testSite(new FakeKms());
  const session = await site.login();
  const response = await site.handle("/api/reset", {
    method: "POST",
    headers: { origin: TEST_ORIGIN, cookie: session.cookie },
    body: new URLSearchParams({ csrf: session.csrf }),
  });
  assertEquals([response.status, response.headers.get("location")], [303, "/"]);
});

Deno.test("without a session: 401; with a wrong or missing CSRF token: 403; nothing reaches the KMS", async () => {
  const kms = new FakeKms();
  const site = testSite(kms);
  const session = await site.login();
  const none = await post(site, "/api/force_attack", null);
  assertEquals(none.status, 401);
  assertEquals(await none.json(), {
    ok: false,
    message: "log in as the operator first",
  });
  const forged = await post(site, "/api/force_attack", {
    ...session,
    csrf: "x".repeat(43),
  });
  assertEquals(forged.status, 403);
  assertStringIncludes((await forged.json()).message, "CSRF");
  const missing = await site.handle("/api/reset", {
    method: "POST",
    headers: { ...fromPage, cookie: session.cookie },
  });
  assertEquals(missing.status, 403);
  await missing.body?.cancel();
  const wrongField = await site.handle("/api/reset", {
    method: "POST",
    headers: { origin: TEST_ORIGIN, cookie: session.cookie },
    body: new URLSearchParams({ csrf: "wrong" }),
  });
  assertEquals(wrongField.status, 403);
  await wrongField.body?.cancel();
  const guessed = await post(site, "/api/reset", {
    cookie: "qstcs_session=guessed",
    csrf: session.csrf,
  });
  assertEquals(guessed.status, 401);
  await guessed.body?.cancel();
  assertEquals(kms.requests.filter((r) => r.startsWith("POST")), []);
  await site.monitor.close();
});

Deno.test("other sites cannot post, even with the session, and only the two actions exist", async () => {
  const kms = new FakeKms();
  const site = testSite(kms);
  const session = await site.login();
  for (
    const headers of [
      { ...fromPage, origin: "http://evil.test" },
      { ...fromPage, "sec-fetch-site": "cross-site" },
      { ...fromPage, origin: "null" },
    ]
  ) {
    const response = await post(site, "/api/force_attack", session, headers);
    assertEquals(response.status, 403);
    assertEquals((await response.json()).ok, false);
  }
  const unknown = await post(site, "/api/activate_eve", session);
  assertEquals(unknown.status, 404);
  await unknown.body?.cancel();
  const get = await site.handle("/api/reset");
  assertEquals(get.status, 405);
  await get.body?.cancel();
  assertEquals(kms.requests.filter((r) => r.startsWith("POST")), []);
  await site.monitor.close();
});

Deno.test("a KMS that is down is reported with 502; one that refuses, with its reason", async () => {
  const kms = new FakeKms();
  const site = testSite(kms);
  const session = await site.login();
  kms.actionResponse = () =>
    Response.json({
      error: "forbidden",
      message: "/force_attack needs an operator credential",
    }, { status: 403 });
  const refused = await post(site, "/api/force_attack", session);
  assertEquals(refused.status, 502);
  assertEquals(await refused.json(), {
    ok: false,
    message:
      "the KMS refused (403): /force_attack needs an operator credential",
  });
  kms.stop();
  const response = await post(site, "/api/force_attack", session);
  assertEquals(response.status, 502);
  assertEquals(await response.json(), {
    ok: false,
    message: "KMS unreachable at http://kms.test",
  });
});
