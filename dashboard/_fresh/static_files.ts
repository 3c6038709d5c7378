/**
 * Files from a `static/` folder: its content type, a weak `ETag` from size
 * and modification time (so a browser revalidates a bundle with a 304), and
 * nothing outside the folder.
 *
 * std's `serveDir` would do this, but the npm build `deno-std@1.4.0` ships a
 * `http/file_server.js` that imports modules it does not contain
 * (`../fs/exists.js`, `../media-types/…`): loading it fails. Its content
 * types and ETags load, through `common/std.ts`.
 *
 * @module
 */

import { contentType, eTag, ifNoneMatch } from "../../common/std.ts";

// `.`/`..` segments, backslashes and NUL, after decoding: never a file here.
const UNSAFE_PATH = /(^|\/)\.\.?(\/|$)|\\|\0/;

function fileUrl(staticDir: URL, pathname: string): URL | null {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (UNSAFE_PATH.test(path)) return null;
  const url = new URL(`.${path}`, staticDir);
  return url.href.startsWith(staticDir.href) ? url : null;
}

/**
 * The file under `staticDir` at the request's path for GET and HEAD, or
 * `null` when there is none.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { serveStatic } from "./static_files.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/app.js`, "export {};");
 * const staticDir = new URL(`file://${dir}/`);
 *
 * const js = await serveStatic(new Request("http://x/app.js"), staticDir);
 * assertEquals(js?.headers.get("content-type"), "text/javascript; charset=UTF-8");
 * assertEquals(await js?.text(), "export {};");
 * const again = await serveStatic(
 *   new Request("http://x/app.js", { headers: { "if-none-match": js!.headers.get("etag")! } }),
 *   staticDir,
 * );
 * assertEquals(again?.status, 304);
 * assertEquals(await serveStatic(new Request("http://x/../etc/passwd"), staticDir), null);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function serveStatic(
  request: Request,
  staticDir: URL,
): Promise<Response | null> {
  if (request.method !== "GET" && request.method !== "HEAD") return null;
  const url = fileUrl(staticDir, new URL(request.url).pathname);
  if (!url) return null;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(url);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const info = await file.stat();
  if (!info.isFile) {
    file.close();
    return null;
  }
  const etag = await eTag(info);
  const name = url.pathname.slice(url.pathname.lastIndexOf("/") + 1);
  const extension = name.includes(".") ? name.slice(name.lastIndexOf(".")) : "";
  const headers = new Headers({
    "content-type": contentType(extension) ?? "application/octet-stream",
    // Bundles keep their names across builds: always revalidate.
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
  });
  if (etag) headers.set("etag", etag);
  if (!ifNoneMatch(request.headers.get("if-none-match"), etag)) {
    file.close();
    return new Response(null, { status: 304, headers });
  }
  headers.set("content-length", String(info.size));
  if (request.method === "HEAD") {
    file.close();
    return new Response(null, { headers });
  }
  return new Response(file.readable, { headers });
}
