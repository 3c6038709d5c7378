/**
 * The build half of the glue: writes the manifest `fresh.gen.ts` (every
 * route and island, imported statically, so the server needs no read access
 * beyond its folder) and bundles the islands for the browser with
 * `deno bundle`, one entry per island plus the hydration runtime, with the
 * shared code (Preact, signals, the live feed) split into common chunks.
 *
 * @module
 */

import { CLIENT_BUNDLE } from "./markup.ts";

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

/** What {@linkcode build} did. */
export interface BuildResult {
  /** Whether `fresh.gen.ts` changed. */
  manifestChanged: boolean;
  /** Each island and the hydration runtime, by file name. */
  sizes: IslandSize[];
}

const MANIFEST_FILE = "fresh.gen.ts";
const SOURCE = /\.tsx?$/;
const TEST = /_test\.tsx?$/;

function path(url: URL): string {
  return decodeURIComponent(url.pathname);
}

async function listModules(root: URL, folder: string): Promise<string[]> {
  const found: string[] = [];
  async function walk(relative: string) {
    for await (const entry of Deno.readDir(new URL(relative, root))) {
      const child = `${relative}${entry.name}`;
      if (entry.isDirectory) await walk(`${child}/`);
      else if (SOURCE.test(entry.name) && !TEST.test(entry.name)) {
        found.push(`./${child}`);
      }
    }
  }
  await walk(`${folder}/`);
  return found.sort();
}

function alias(key: string): string {
  return "$" + key.replace(/^\.\/|\.tsx?$/g, "").replace(/\W+/g, "_");
}

async function formatTypeScript(source: string, cwd: URL): Promise<string> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--ext=ts", "-"],
    cwd: path(cwd),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(source));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  if (code !== 0) {
    throw new Error(`deno fmt failed: ${new TextDecoder().decode(stderr)}`);
  }
  return new TextDecoder().decode(stdout);
}

/**
 * The text of `fresh.gen.ts` for the dashboard folder `root`, formatted.
 *
 * @example
 * ```ts ignore
 * const text = await generateManifest(new URL("../", import.meta.url));
 * ```
 */
export async function generateManifest(root: URL): Promise<string> {
  const routes = await listModules(root, "routes");
  const islands = await listModules(root, "islands");
  const imports = [...routes, ...islands].map((key) =>
    `import * as ${alias(key)} from "${key}";`
  );
  const entries = (keys: string[]) =>
    keys.map((key) => `    "${key}": ${alias(key)},`).join("\n");
  const source =
    `// DO NOT EDIT: written by dashboard/build.ts from routes/ and islands/.
// Checked in, so that main.ts imports every route and island statically.

${imports.join("\n")}
import type { Manifest } from "./_fresh/server.ts";

/** Every route and island of the dashboard. */
const manifest = {
  routes: {
${entries(routes)}
  },
  islands: {
${entries(islands)}
  },
  baseUrl: import.meta.url,
} satisfies Manifest;

export default manifest;
`;
  return await formatTypeScript(source, new URL("../", root));
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

/**
 * Bundles `root/islands/*.tsx` and the hydration runtime into `outDir`
 * (replacing what was there) and measures each bundle.
 */
async function bundleIslands(root: URL, outDir: URL): Promise<IslandSize[]> {
  const islands = (await listModules(root, "islands")).map((key) =>
    key.replace(/^\.\/islands\//, "").replace(SOURCE, "")
  );
  const config = new URL("./islands.json", import.meta.url);
  const { importMap } = JSON.parse(await Deno.readTextFile(config));
  const lock = new URL("deno.lock", new URL(importMap, config));
  // One entry file per bundle, all in one folder, so the bundles come out
  // side by side: static/islands/QberChart.js, static/islands/_client.js.
  const entries = await Deno.makeTempDir({ prefix: "dashboard-islands-" });
  try {
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
      `import "${new URL("./client.ts", import.meta.url)}";\n`,
    );
    entryFiles.push(client);
    await Deno.remove(outDir, { recursive: true }).catch((error) => {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    });
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "bundle",
        `--config=${path(config)}`,
        `--lock=${path(lock)}`,
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
 * Writes `fresh.gen.ts` and the island bundles for the dashboard folder
 * `root`, and prints each island's JavaScript size.
 *
 * @example
 * ```ts ignore
 * await build({ root: new URL("../", import.meta.url) });
 * ```
 */
export async function build(options: {
  /** The dashboard folder (holding routes/, islands/, static/). */
  root: URL;
  /** Where bundles go. Default `static/islands/` under `root`. */
  outDir?: URL;
  /** Where the report goes. Default console.log. */
  log?: (line: string) => void;
}): Promise<BuildResult> {
  const { root, log = console.log } = options;
  const outDir = options.outDir ?? new URL("static/islands/", root);
  const manifestUrl = new URL(MANIFEST_FILE, root);
  const manifest = await generateManifest(root);
  const current = await Deno.readTextFile(manifestUrl).catch(() => "");
  const manifestChanged = manifest !== current;
  if (manifestChanged) await Deno.writeTextFile(manifestUrl, manifest);
  const sizes = await bundleIslands(root, outDir);
  log(
    `${MANIFEST_FILE} ${manifestChanged ? "written" : "up to date"}; ` +
      `islands bundled into ${path(outDir)} (minified):`,
  );
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
  return { manifestChanged, sizes };
}
