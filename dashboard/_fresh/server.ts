/**
 * The Fresh-shaped server glue, all in this folder: a manifest of route and
 * island modules (`fresh.gen.ts`, written by the build), route modules that
 * export `handler` and a default page component, `routes/_app.tsx` around
 * every page, islands found while rendering and serialized for hydration, and
 * files from `static/`. The names follow Fresh 1 (`Handlers`, `PageProps`,
 * `ctx.render`, `ctx.state`), so moving to Fresh is an import change and a
 * new `main.ts`.
 *
 * @module
 */

import { type ComponentType, h, options, type VNode } from "preact";
import { renderToString } from "preact-render-to-string";
import {
  CLIENT_BUNDLE,
  ISLAND_DATA_ID,
  ISLAND_ELEMENT,
  type IslandRecord,
  ISLANDS_PATH,
  serializeIslands,
} from "./markup.ts";

/** HTTP methods a route may handle. */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What a page component receives. */
export interface PageProps<Data = undefined, State = unknown> {
  /** The request URL. */
  url: URL;
  /** Values of `[name]` segments of the route. */
  params: Record<string, string>;
  /** What the handler passed to `ctx.render`. */
  data: Data;
  /** The application state. */
  state: State;
}

/** What `routes/_app.tsx` receives: the page to wrap. */
export interface AppProps extends PageProps<unknown, unknown> {
  /** The page, rendered. */
  Component: ComponentType;
}

/** The second argument of a handler. */
export interface HandlerContext<Data = undefined, State = unknown> {
  /** The request URL. */
  url: URL;
  /** Values of `[name]` segments of the route. */
  params: Record<string, string>;
  /** The application state given to {@linkcode createHandler}. */
  state: State;
  /** Renders the route's page with `data` as an HTML response. */
  render(data?: Data, init?: ResponseInit): Response;
  /** A 404 response. */
  renderNotFound(): Response;
}

/** Handles one method of a route. */
export type Handler<Data = undefined, State = unknown> = (
  request: Request,
  ctx: HandlerContext<Data, State>,
) => Response | Promise<Response>;

/** A route's handlers by method. */
export type Handlers<Data = undefined, State = unknown> = {
  [M in Method]?: Handler<Data, State>;
};

/** A module under `routes/`. */
export interface RouteModule {
  /** Handlers by method; a page without them answers GET with no data. */
  handler?: Handlers<never, never>;
  /** The page component (for `_app.tsx`, the document around pages). */
  default?: ComponentType<never>;
}

/** A module under `islands/`: its default export is hydrated in the browser. */
export interface IslandModule {
  /** The island component; its props must be JSON. */
  default: ComponentType<never>;
}

/** Every route and island, keyed by path (`./routes/index.tsx`); see `fresh.gen.ts`. */
export interface Manifest {
  /** Route modules. */
  routes: Record<string, RouteModule>;
  /** Island modules. */
  islands: Record<string, IslandModule>;
  /** URL of the manifest module: `routes/`, `islands/` and `static/` lie beside it. */
  baseUrl: string;
}

// Pages load scripts, styles, data and the event stream from this origin
// only; islands set styles through the CSSOM, which style-src does not limit.
const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const CONTENT_TYPES: Record<string, string> = {
  css: "text/css; charset=utf-8",
  js: "text/javascript; charset=utf-8",
  json: "application/json",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  txt: "text/plain; charset=utf-8",
};

// Island components by identity, to their names; filled by createHandler.
const islandNames = new Map<unknown, string>();
// The islands of the page being rendered (rendering is synchronous, so one
// list at a time), and whether the next vnode is an island's own root.
let pageIslands: IslandRecord[] | null = null;
let insideWrapper = false;

const previousVnodeHook = options.vnode;
options.vnode = (vnode: VNode) => {
  const name = pageIslands && !insideWrapper
    ? islandNames.get(vnode.type)
    : undefined;
  if (name !== undefined) {
    const island = vnode.type as ComponentType<Record<string, unknown>>;
    const props = vnode.props as Record<string, unknown>;
    if ("children" in props) {
      throw new TypeError(`island ${name} takes JSON props, not children`);
    }
    vnode.type = function IslandWrapper() {
      const id = pageIslands!.push({ name, props }) - 1;
      insideWrapper = true;
      try {
        return h(
          ISLAND_ELEMENT,
          { "data-island": String(id) },
          h(island, props),
        );
      } finally {
        insideWrapper = false;
      }
    };
  }
  previousVnodeHook?.(vnode);
};

/**
 * `./routes/api/[action].ts` → `/api/:action`, `./routes/index.tsx` → `/`.
 *
 * @example
 * ```ts
 * import { routePattern } from "./server.ts";
 * console.log(routePattern("./routes/api/[action].ts")); // /api/:action
 * ```
 */
export function routePattern(key: string): string {
  const segments = key.replace(/^\.\/routes\//, "").replace(/\.tsx?$/, "")
    .split("/")
    .filter((segment, i, all) => !(segment === "index" && i === all.length - 1))
    .map((segment) => segment.replace(/^\[(\w+)\]$/, ":$1"));
  return "/" + segments.join("/");
}

function islandName(key: string): string {
  return key.replace(/^\.\/islands\//, "").replace(/\.tsx?$/, "");
}

function renderHtml(vnode: VNode): string {
  pageIslands = [];
  try {
    const html = renderToString(vnode);
    if (pageIslands.length === 0) return `<!DOCTYPE html>${html}`;
    const names = [...new Set(pageIslands.map((island) => island.name))];
    const bootstrap = [
      ...names.map((name) =>
        `<link rel="modulepreload" href="${ISLANDS_PATH}${name}.js">`
      ),
      `<script id="${ISLAND_DATA_ID}" type="application/json">${
        serializeIslands(pageIslands)
      }</script>`,
      `<script type="module" src="${ISLANDS_PATH}${CLIENT_BUNDLE}"></script>`,
    ].join("");
    const end = html.lastIndexOf("</body>");
    const at = end === -1 ? html.length : end;
    return `<!DOCTYPE html>${html.slice(0, at)}${bootstrap}${html.slice(at)}`;
  } finally {
    pageIslands = null;
  }
}

async function serveStatic(
  staticDir: URL,
  request: Request,
  pathname: string,
): Promise<Response | null> {
  let path: string;
  try {
    path = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (/(^|\/)\.\.?(\/|$)|\\|\0/.test(path)) return null;
  const url = new URL(`.${path}`, staticDir);
  if (!url.href.startsWith(staticDir.href)) return null;
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
  const extension = path.slice(path.lastIndexOf(".") + 1);
  const headers = {
    "content-type": CONTENT_TYPES[extension] ?? "application/octet-stream",
    "content-length": String(info.size),
    // Bundles keep their names across builds: always revalidate.
    "cache-control": "no-cache",
    "x-content-type-options": "nosniff",
  };
  if (request.method === "HEAD") {
    file.close();
    return new Response(null, { headers });
  }
  return new Response(file.readable, { headers });
}

interface Route {
  pattern: URLPattern;
  handlers: Handlers<unknown, unknown>;
  page?: ComponentType<PageProps<unknown, unknown>>;
}

function compileRoutes(manifest: Manifest): Route[] {
  const routes: Route[] = [];
  for (const [key, module] of Object.entries(manifest.routes)) {
    if (/\/_[^/]*$/.test(key)) continue;
    const page = module.default as
      | ComponentType<PageProps<unknown, unknown>>
      | undefined;
    const handlers = { ...module.handler } as Handlers<unknown, unknown>;
    if (page && !handlers.GET) handlers.GET = (_request, ctx) => ctx.render();
    routes.push({
      pattern: new URLPattern({ pathname: routePattern(key) }),
      handlers,
      page,
    });
  }
  // Fixed paths win over `[name]` segments.
  return routes.sort((a, b) =>
    Number(a.pattern.pathname.includes(":")) -
    Number(b.pattern.pathname.includes(":"))
  );
}

const notFound = () =>
  new Response("Not found\n", {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });

/**
 * The request handler for `Deno.serve`: routes from `manifest`, then files
 * from `static/` beside it.
 *
 * @example
 * ```ts ignore
 * import manifest from "../fresh.gen.ts";
 * Deno.serve(createHandler(manifest, { state: { monitor } }));
 * ```
 */
export function createHandler<State>(
  manifest: Manifest,
  options: { state: State },
): (request: Request) => Promise<Response> {
  for (const [key, module] of Object.entries(manifest.islands)) {
    islandNames.set(module.default, islandName(key));
  }
  const app = manifest.routes["./routes/_app.tsx"]?.default as
    | ComponentType<AppProps>
    | undefined;
  const routes = compileRoutes(manifest);
  const staticDir = new URL("./static/", manifest.baseUrl);

  return async (request) => {
    const url = new URL(request.url);
    for (const route of routes) {
      const match = route.pattern.exec({ pathname: url.pathname });
      if (!match) continue;
      const params = Object.fromEntries(
        Object.entries(match.pathname.groups).map((
          [name, value],
        ) => [name, value ?? ""]),
      );
      const handler = route.handlers[request.method as Method];
      if (!handler) {
        const allow = Object.keys(route.handlers).join(", ");
        return new Response(`Method not allowed: use ${allow}\n`, {
          status: 405,
          headers: { allow },
        });
      }
      const ctx: HandlerContext<unknown, State> = {
        url,
        params,
        state: options.state,
        renderNotFound: notFound,
        render(data, init) {
          if (!route.page) throw new Error(`${url.pathname} has no page`);
          const pageProps = { url, params, data, state: options.state };
          const page = h(route.page, pageProps);
          const html = renderHtml(
            (app
              ? h(app, { ...pageProps, Component: () => page })
              : page) as VNode,
          );
          const headers = new Headers(init?.headers);
          headers.set("content-type", "text/html; charset=utf-8");
          headers.set("content-security-policy", PAGE_CSP);
          headers.set("x-content-type-options", "nosniff");
          return new Response(html, { ...init, headers });
        },
      };
      try {
        return await handler(request, ctx);
      } catch (error) {
        console.error(`error in ${request.method} ${url.pathname}:`, error);
        return new Response("Internal error\n", { status: 500 });
      }
    }
    if (request.method === "GET" || request.method === "HEAD") {
      const file = await serveStatic(staticDir, request, url.pathname);
      if (file) return file;
    }
    return notFound();
  };
}
