import { assertEquals, assertStringIncludes } from "@std/assert";
import {
  type AppProps,
  createHandler,
  type Handlers,
  type PageProps,
  type Site,
} from "./server.ts";

function Counter(props: { start: number; label: string }) {
  return <button type="button">{props.label}: {props.start}</button>;
}

function App({ Component }: AppProps) {
  return (
    <html>
      <head>
        <title>t</title>
      </head>
      <body>
        <Component />
      </body>
    </html>
  );
}

const greeting: Handlers<{ name: string }, { greeting: string }> = {
  GET(_request, ctx) {
    return ctx.render({ name: ctx.params.name });
  },
  POST() {
    throw new Error("boom");
  },
};

function Greeting(
  { data, state }: PageProps<{ name: string }, { greeting: string }>,
) {
  return (
    <main>
      <p>{state.greeting}, {data.name}</p>
      <Counter start={1} label="a" />
      <Counter start={2} label="</script><script>alert(1)</script>" />
    </main>
  );
}

async function fixture(): Promise<{ root: string; site: Site }> {
  const root = await Deno.makeTempDir({ prefix: "fresh-test-" });
  await Deno.mkdir(`${root}/static/islands`, { recursive: true });
  await Deno.writeTextFile(`${root}/static/styles.css`, "body{}");
  await Deno.writeTextFile(`${root}/static/islands/Counter.js`, "export{}");
  await Deno.writeTextFile(`${root}/secret.txt`, "secret");
  return {
    root,
    site: {
      root: new URL(`file://${root}/`),
      app: App,
      routes: {
        "/": { default: () => <p>plain page</p> },
        "/hello/world": { handler: { GET: () => new Response("fixed") } },
        "/hello/:name": { handler: greeting, default: Greeting },
      },
      islands: { Counter },
    },
  };
}

Deno.test("pages render inside _app; islands are marked and their props serialized", async () => {
  const { root, site } = await fixture();
  const handle = createHandler(site, { state: { greeting: "Hello" } });
  const response = await handle(new Request("http://x/hello/Alpha"));
  assertEquals(response.status, 200);
  assertStringIncludes(
    response.headers.get("content-security-policy")!,
    "script-src 'self'",
  );
  const html = await response.text();
  assertEquals(html.startsWith("<!DOCTYPE html><html>"), true);
  assertStringIncludes(html, "<p>Hello, Alpha</p>");
  assertStringIncludes(
    html,
    '<island-root data-island="0"><button type="button">a: 1</button></island-root>',
  );
  assertStringIncludes(html, '<island-root data-island="1">');
  const data = html.match(
    /<script id="__islands" type="application\/json">(.*?)<\/script>/,
  )![1];
  assertEquals(
    data.includes("</script>"),
    false,
    "props cannot close the element",
  );
  assertEquals(JSON.parse(data), [
    { name: "Counter", props: { start: 1, label: "a" } },
    {
      name: "Counter",
      props: { start: 2, label: "</script><script>alert(1)</script>" },
    },
  ]);
  assertEquals(html.match(/modulepreload/g)?.length, 1);
  assertStringIncludes(
    html,
    '<script type="module" src="/islands/_client.js"></script></body>',
  );
  const plain = await (await handle(new Request("http://x/"))).text();
  assertStringIncludes(plain, "<p>plain page</p>");
  assertEquals(plain.includes("<script"), false, "no islands, no scripts");
  await Deno.remove(root, { recursive: true });
});

Deno.test("the first route that matches answers; wrong methods get 405; errors 500", async () => {
  const { root, site } = await fixture();
  const handle = createHandler(site, { state: { greeting: "Hi" } });
  assertEquals(
    await (await handle(new Request("http://x/hello/world"))).text(),
    "fixed",
  );
  const put = await handle(new Request("http://x/hello/a", { method: "PUT" }));
  assertEquals([put.status, put.headers.get("allow")], [405, "GET, POST"]);
  await put.body?.cancel();
  const originalError = console.error;
  console.error = () => {};
  try {
    const post = await handle(
      new Request("http://x/hello/a", { method: "POST" }),
    );
    assertEquals([post.status, await post.text()], [500, "Internal error\n"]);
  } finally {
    console.error = originalError;
  }
  await Deno.remove(root, { recursive: true });
});

Deno.test("static files are served from static/ and nowhere else", async () => {
  const { root, site } = await fixture();
  const handle = createHandler(site, { state: {} });
  const css = await handle(new Request("http://x/styles.css"));
  assertEquals(css.headers.get("content-type"), "text/css; charset=UTF-8");
  assertEquals(await css.text(), "body{}");
  const js = await handle(
    new Request("http://x/islands/Counter.js", { method: "HEAD" }),
  );
  assertEquals(
    [
      js.status,
      js.headers.get("content-type"),
      js.headers.get("content-length"),
    ],
    [200, "text/javascript; charset=UTF-8", "8"],
  );
  for (
    const path of [
      "/../secret.txt",
      "/%2e%2e/secret.txt",
      "/islands/..%2f..%2fsecret.txt",
      "/islands",
      "/nope.css",
    ]
  ) {
    const response = await handle(new Request(`http://x${path}`));
    assertEquals(response.status, 404, path);
    await response.body?.cancel();
  }
  const post = await handle(
    new Request("http://x/styles.css", { method: "POST" }),
  );
  assertEquals(post.status, 404);
  await post.body?.cancel();
  await Deno.remove(root, { recursive: true });
});

Deno.test("islands take JSON props, not children", async () => {
  const { root, site } = await fixture();
  const withChildren = { start: 1, label: "x", children: "child" };
  site.routes["/"] = {
    default: () => <Counter {...withChildren} />,
  };
  const handle = createHandler(site, { state: {} });
  const originalError = console.error;
  const errors: unknown[] = [];
  console.error = (...args: unknown[]) => errors.push(...args);
  try {
    const response = await handle(new Request("http://x/"));
    assertEquals(response.status, 500);
    await response.body?.cancel();
  } finally {
    console.error = originalError;
  }
  assertStringIncludes(String(errors[1]), "island Counter takes JSON props");
  await Deno.remove(root, { recursive: true });
});
