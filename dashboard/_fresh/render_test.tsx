import { assertEquals, assertStringIncludes } from "@std/assert";
import { options } from "preact";
import { renderToString } from "preact-render-to-string";
import { renderPage } from "./render.ts";

function Badge(props: { label: string }) {
  return <b>{props.label}</b>;
}

Deno.test("islands are marked only inside renderPage, and the hook is put back", () => {
  const before = options.vnode;
  const islands = new Map([[Badge, "Badge"]]);
  const html = renderPage(() => (
    <body>
      <Badge label="x" />
    </body>
  ), islands);
  assertStringIncludes(html, '<island-root data-island="0"><b>x</b>');
  assertEquals(options.vnode, before);
  assertEquals(renderToString(<Badge label="y" />), "<b>y</b>");
});

Deno.test("a failed render puts the hook back too", () => {
  const before = options.vnode;
  function Broken(): never {
    throw new Error("boom");
  }
  let thrown = false;
  try {
    renderPage(() => <Broken />, new Map());
  } catch {
    thrown = true;
  }
  assertEquals([thrown, options.vnode], [true, before]);
});

Deno.test("the bootstrap goes before </body>, one preload per island used", () => {
  const islands = new Map([[Badge, "Badge"]]);
  const html = renderPage(() => (
    <html>
      <body>
        <Badge label="a" />
        <Badge label="b" />
      </body>
    </html>
  ), islands);
  assertEquals(html.match(/modulepreload/g)?.length, 1);
  assertEquals(
    html.endsWith(
      '<script type="module" src="/islands/_client.js"></script></body></html>',
    ),
    true,
  );
});
