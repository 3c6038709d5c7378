/**
 * The build half of the glue: bundles a site's islands for the browser with
 * `deno bundle`, one entry per island plus the hydration runtime, with the
 * shared code (Preact, signals, the live feed) split into common chunks.
 *
 * @module
 */

import { CLIENT_BUNDLE } from "./markup.ts";
import type { Site } from "./server.ts";

/** Size of one built island. */
export interface IslandSize {
  /** Bundle file name, e.g. `QberChart.js`. */
  file: string;
  /** Bytes of the island's own bundle. */
  bytes: number;
  /** Bytes with the shared chunks it imports: what a page with it loads. */
  totalBytes: number;
  /** `totalBytes` gzip-compressed. */
  totalGzipBytes: number;
}

function path(url: URL): string {
  return decodeURIComponent(url.pathname);
}

/** Chunk files a bundle imports, directly or through other chunks. */
async function chunkClosure(outDir: URL, file: string): Promise<string[]> {
  const seen = new Set<string>();
  const pending = [file];
  while (pending.length > 0) {
    const text = await Deno.readTextFile(new URL(pending.pop()!, outDir));
    for (const [, chunk] of text.matchAll(/(?:from|import)\s*"\.\/([^"]+)"/g)) {
      if (!seen.has(chunk)) {
        seen.add(chunk);
        pending.push(chunk);
      }
    }
  }
  return [...seen];
}

async function gzipSize(bytes: Uint8Array<ArrayBuffer>): Promise<number> {
  const compressed = new Response(
    new Blob([bytes]).stream().pipeThrough(new CompressionStream("gzip")),
  );
  return (await compressed.arrayBuffer()).byteLength;
}

async function measure(outDir: URL, file: string): Promise<IslandSize> {
  const files = [file, ...await chunkClosure(outDir, file)];
  const contents = await Promise.all(
    files.map((name) => Deno.readFile(new URL(name, outDir))),
  );
  const all = new Uint8Array(contents.reduce((n, c) => n + c.length, 0));
  contents.reduce((offset, c) => (all.set(c, offset), offset + c.length), 0);
  return {
    file,
    bytes: contents[0].length,
    totalBytes: all.length,
    totalGzipBytes: await gzipSize(all),
  };
}

// The browser cannot run the server's precompiled JSX templates: islands
// are bundled with the automatic runtime, and the project's import map.
function bundlerConfig(projectRoot: URL): string {
  return JSON.stringify({
    compilerOptions: { jsx: "react-jsx", jsxImportSource: "preact" },
    importMap: path(new URL("deno.json", projectRoot)),
  });
}

/**
 * Bundles `islands/NAME.tsx` for each name and the hydration runtime into
 * `outDir` (replacing what was there) and measures each bundle.
 */
async function bundleIslands(
  root: URL,
  islands: string[],
  outDir: URL,
): Promise<IslandSize[]> {
  const projectRoot = new URL("../", root);
  // One entry file per bundle, all in one folder, so the bundles come out
  // side by side: static/islands/QberChart.js, static/islands/_client.js.
  const entries = await Deno.makeTempDir({ prefix: "dashboard-islands-" });
  try {
    const config = `${entries}/deno.json`;
    await Deno.writeTextFile(config, bundlerConfig(projectRoot));
    const entryFiles = [];
    for (const name of islands) {
      const file = `${entries}/${name}.ts`;
      const island = new URL(`islands/${name}.tsx`, root);
      await Deno.writeTextFile(file, `export { default } from "${island}";\n`);
      entryFiles.push(file);
    }
    const client = `${entries}/${CLIENT_BUNDLE.replace(/\.js$/, ".ts")}`;
    await Deno.writeTextFile(
      client,
      `import { hydrateIslands } from "${new URL(
        "./client.ts",
        import.meta.url,
      )}";\nawait hydrateIslands();\n`,
    );
    entryFiles.push(client);
    await Deno.remove(outDir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        `--config=${config}`,
        `--lock=${path(new URL("deno.lock", projectRoot))}`,
        "--frozen-lockfile",
        "--platform=browser",
        "--format=esm",
        "--code-splitting",
        "--minify",
        `--outdir=${path(outDir)}`,
        ...entryFiles,
      ],
      env: { NO_COLOR: "1" },
    }).output();
    if (code !== 0) {
      const decoder = new TextDecoder();
      throw new Error(
        `deno bundle failed:\n${decoder.decode(stdout)}${
          decoder.decode(stderr)
        }`,
      );
    }
  } finally {
    await Deno.remove(entries, { recursive: true });
  }
  return await Promise.all(
    [...islands.map((name) => `${name}.js`), CLIENT_BUNDLE].map((file) =>
      measure(outDir, file)
    ),
  );
}

function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`.padStart(10);
}

/**
 * Bundles the site's islands into `static/islands/` (or `options.outDir`)
 * and prints each bundle's size.
 *
 * @example
 * ```ts ignore
 * import { site } from "../site.ts";
 * await build(site);
 * ```
 */
export async function build(
  site: Pick<Site, "root" | "islands">,
  options: {
    /** Where bundles go. Default `static/islands/` under the site's root. */
    outDir?: URL;
    /** Where the report goes. Default console.log. */
    log?: (line: string) => void;
  } = {},
): Promise<IslandSize[]> {
  const { log = console.log } = options;
  const outDir = options.outDir ?? new URL("static/islands/", site.root);
  const sizes = await bundleIslands(
    site.root,
    Object.keys(site.islands),
    outDir,
  );
  log(`islands bundled into ${path(outDir)} (minified):`);
  log(
    `  ${"bundle".padEnd(22)}${"own".padStart(10)}` +
      `${"with chunks".padStart(14)}${"gzip".padStart(12)}`,
  );
  for (const size of sizes) {
    log(
      `  ${size.file.padEnd(22)}${kib(size.bytes)}    ${kib(size.totalBytes)}` +
        `  ${kib(size.totalGzipBytes)}`,
    );
  }
  return sizes;
}
