import { assertEquals } from "@std/assert";
import { build } from "./build.ts";
import { site } from "../site.ts";

Deno.test("islands bundle for the browser, chart.js tree-shaken, sizes reported", async () => {
  const outDir = new URL(
    `file://${await Deno.makeTempDir({ prefix: "islands-test-" })}/out/`,
  );
  const lines: string[] = [];
  try {
    const sizes = await build(site, {
      outDir,
      log: (line) => lines.push(line),
    });
    const files = sizes.map((size) => size.file);
    assertEquals(files.includes("QberChart.js"), true);
    assertEquals(files.at(-1), "_client.js");
    for (const size of sizes) {
      assertEquals(size.bytes > 0 && size.totalBytes >= size.bytes, true);
      assertEquals(size.totalGzipBytes < size.totalBytes, true);
      assertEquals(lines.some((line) => line.includes(size.file)), true);
    }
    let all = "";
    for await (const entry of Deno.readDir(outDir)) {
      all += await Deno.readTextFile(new URL(entry.name, outDir));
    }
    // The automatic JSX runtime: the server's precompiled templates
    // (`jsxTemplate`, vnodes with a `tpl` prop) would not render in a browser.
    assertEquals(all.includes("tpl:"), false);
    const chart = await Deno.readTextFile(new URL("QberChart.js", outDir));
    // Controllers the chart does not register are left out.
    assertEquals(chart.includes("doughnut"), false);
    const banner = await Deno.readTextFile(
      new URL("LinkStatusBanner.js", outDir),
    );
    assertEquals(banner.includes("chart"), false, "chart.js only where needed");
  } finally {
    await Deno.remove(new URL("../", outDir), { recursive: true });
  }
});
