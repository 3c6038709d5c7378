/**
 * The house rules of the tree, checked: data flows one way (quantum/ and
 * protocol/ are pure; services import them and common/, never each other),
 * std's untyped npm build is reached only through common/std.ts, and
 * production modules stay small.
 */
import { assertEquals } from "@std/assert";

const ROOT = new URL("../", import.meta.url);
const SERVICES = ["kms", "relay", "client", "dashboard", "demo", "router"];
// What each folder's production code may import, besides its own folder.
const MAY_IMPORT: Record<string, string[]> = {
  quantum: [],
  protocol: ["quantum"],
  common: ["quantum", "protocol"],
  ...Object.fromEntries(
    SERVICES.map((service) => [service, ["quantum", "protocol", "common"]]),
  ),
};
const MAX_LINES = 400;

interface Source {
  path: string;
  folder: string;
  text: string;
  // The text without comments, whose examples import and print freely.
  code: string;
}

function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

async function productionSources(): Promise<Source[]> {
  const sources: Source[] = [];
  for (const folder of Object.keys(MAY_IMPORT)) {
    for await (const path of walk(new URL(`${folder}/`, ROOT), folder)) {
      if (!/\.tsx?$/.test(path) || isTestOnly(path)) continue;
      const text = await Deno.readTextFile(new URL(path, ROOT));
      sources.push({ path, folder, text, code: withoutComments(text) });
    }
  }
  return sources;
}

// Tests, test helpers, benches and generated island bundles.
function isTestOnly(path: string): boolean {
  const name = path.split("/").at(-1)!;
  return name.endsWith("_test.ts") || name.endsWith("_test.tsx") ||
    name.startsWith("_test_") || name.endsWith("_bench.ts") ||
    path.includes("/static/");
}

async function* walk(dir: URL, prefix: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${prefix}/${entry.name}`;
    if (entry.isDirectory) {
      yield* walk(new URL(`${entry.name}/`, dir), path);
    } else if (entry.isFile) yield path;
  }
}

function specifiers(text: string): string[] {
  const found = [];
  for (const match of text.matchAll(/(?:from|import)\s*\(?\s*"([^"]+)"/g)) {
    found.push(match[1]);
  }
  return found;
}

// The top-level folder a relative import from `path` lands in.
function targetFolder(path: string, specifier: string): string {
  return new URL(specifier, new URL(path, ROOT)).href
    .slice(ROOT.href.length).split("/")[0];
}

Deno.test("production code imports only the layers below it, never another service", async () => {
  const breaches = [];
  for (const { path, folder, code } of await productionSources()) {
    for (const specifier of specifiers(code)) {
      if (!specifier.startsWith(".")) continue;
      const target = targetFolder(path, specifier);
      if (target !== folder && !MAY_IMPORT[folder].includes(target)) {
        breaches.push(`${path} imports ${specifier}`);
      }
    }
  }
  assertEquals(breaches, []);
});

Deno.test("std's untyped npm build is imported only by the typed facade common/std.ts", async () => {
  const breaches = (await productionSources())
    .filter(({ path, code }) =>
      path !== "common/std.ts" &&
      specifiers(code).some((s) => s.startsWith("@std/"))
    )
    .map(({ path }) => path);
  assertEquals(breaches, []);
});

Deno.test("quantum/ and protocol/ do no I/O", async () => {
  const breaches = (await productionSources())
    .filter(({ folder, code }) =>
      (folder === "quantum" || folder === "protocol") &&
      /\bDeno\.|\bfetch\(|\bconsole\./.test(code)
    )
    .map(({ path }) => path);
  assertEquals(breaches, []);
});

Deno.test(`production modules stay under ${MAX_LINES} lines`, async () => {
  const long = (await productionSources())
    .map(({ path, text }) => ({ path, lines: text.split("\n").length - 1 }))
    .filter(({ lines }) => lines > MAX_LINES);
  assertEquals(long, []);
});
