/**
 * The Fresh-shaped server: a {@linkcode Site} lists the routes (modules that
 * export `handler` and a default page component, as Fresh's do), the
 * document around every page (`routes/_app.tsx`) and the islands; files come
 * from `static/`. The names follow Fresh 1 (`Handlers`, `PageProps`,
 * `ctx.render`, `ctx.state`), so moving to Fresh is an import change and a
 * new `main.ts`.
 *
 * @module
 */

import { type ComponentType, h } from "preact";
import { renderPage } from "./render.ts";
import { serveStatic } from "./static_files.ts";

/** HTTP methods a route may handle. */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** What a page component receives. */
export interface PageProps<Data = undefined, State = unknown> {
  url: URL;
  /** Values of the route's `:name` segments. */
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
  url: URL;
  /** Values of the route's `:name` segments. */
  params: Record<string, string>;
  /** The application state given to {@linkcode createHandler}. */
  state: State;
  /** The client's address, when the server passed it (as `Deno.serve` does). */
  remoteAddr: Deno.NetAddr | null;
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
  /** The page component. */
  default?: ComponentType<never>;
}

/** Everything a site serves. */
export interface Site {
  /** The folder holding `islands/` (`NAME.tsx` each) and `static/`. */
  root: URL;
  /** The document around every page. */
  app: ComponentType<AppProps>;
  /**
   * Route modules by `URLPattern` pathname (`/api/:action`); the first that
   * matches, in this order, answers.
   */
  routes: Record<string, RouteModule>;
  /** Island components by name: `islands/NAME.tsx`, bundled to `NAME.js`. */
  islands: Record<string, ComponentType<never>>;
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

interface Route {
  pattern: URLPattern;
  handlers: Handlers<unknown, unknown>;
  page?: ComponentType<PageProps<unknown, unknown>>;
}

function compileRoutes(site: Site): Route[] {
  return Object.entries(site.routes).map(([pathname, module]) => {
    const page = module.default as
      | ComponentType<PageProps<unknown, unknown>>
      | undefined;
    const handlers = { ...module.handler } as Handlers<unknown, unknown>;
    if (page && !handlers.GET) handlers.GET = (_request, ctx) => ctx.render();
    return { pattern: new URLPattern({ pathname }), handlers, page };
  });
}

const notFound = () =>
  new Response("Not found\n", {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8" },
  });

/**
 * The request handler for `Deno.serve`: the site's routes, then files from
 * its `static/` folder.
 *
 * @example
 * ```tsx
 * import { assertEquals } from "@std/assert";
 * import { type AppProps, createHandler } from "./server.ts";
 *
 * const handle = createHandler({
 *   root: new URL("file:///nowhere/"),
 *   app: ({ Component }: AppProps) => <body><Component /></body>,
 *   routes: { "/hello/:name": { default: (p: { params: { name: string } }) => <p>hi {p.params.name}</p> } },
 *   islands: {},
 * }, { state: {} });
 *
 * const page = await handle(new Request("http://x/hello/Alpha"));
 * assertEquals(await page.text(), "<!DOCTYPE html><body><p>hi Alpha</p></body>");
 * const post = await handle(new Request("http://x/hello/Alpha", { method: "POST" }));
 * assertEquals([post.status, post.headers.get("allow")], [405, "GET"]);
 * ```
 */
export function createHandler<State>(
  site: Site,
  options: { state: State },
): (
  request: Request,
  info?: Deno.ServeHandlerInfo<Deno.NetAddr>,
) => Promise<Response> {
  const islands = new Map<unknown, string>(
    Object.entries(site.islands).map(([name, island]) => [island, name]),
  );
  const routes = compileRoutes(site);
  const staticDir = new URL("./static/", site.root);

  return async (request, info) => {
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
        remoteAddr: info?.remoteAddr ?? null,
        renderNotFound: notFound,
        render(data, init) {
          if (!route.page) throw new Error(`${url.pathname} has no page`);
          const page = route.page;
          const pageProps = { url, params, data, state: options.state };
          const html = renderPage(
            () =>
              h(site.app, {
                ...pageProps,
                Component: () => h(page, pageProps),
              }),
            islands,
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
    return await serveStatic(request, staticDir) ?? notFound();
  };
}
