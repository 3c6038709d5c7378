import { assertEquals } from "@std/assert";
import { site } from "./site.ts";

async function modules(folder: URL, prefix = ""): Promise<string[]> {
  const found: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    const name = `${prefix}${entry.name}`;
    if (entry.isDirectory) {
      found.push(
        ...await modules(new URL(`${entry.name}/`, folder), `${name}/`),
      );
    } else if (/\.tsx?$/.test(name) && !/_test\.tsx?$/.test(name)) {
      found.push(name);
    }
  }
  return found.sort();
}

Deno.test("the site lists every island and route module", async () => {
  assertEquals(
    await modules(new URL("islands/", site.root)),
    Object.keys(site.islands).map((name) => `${name}.tsx`).sort(),
  );
  assertEquals(await modules(new URL("routes/", site.root)), [
    "_app.tsx",
    "api/[action].ts",
    "events.ts",
    "index.tsx",
    "login.tsx",
    "logout.ts",
  ]);
  assertEquals(Object.keys(site.routes), [
    "/",
    "/login",
    "/logout",
    "/events",
    "/api/:action",
  ]);
});
