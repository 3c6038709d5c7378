/**
 * Test helper: a KMS from before relay tickets, a stand-in for the older
 * KMS a client may still meet. It is the real KMS process behind a front
 * that answers `GET /ticket_key` and `POST /relay_ticket` with 404, as a
 * KMS without those routes did, and forwards every other request.
 *
 * @module
 */

/** A running front. */
export interface OldKms extends AsyncDisposable {
  /** `http://127.0.0.1:PORT` for the clients. */
  url: string;
}

/** Starts the front in front of the KMS at `upstream`. */
export function startOldKms(upstream: string): OldKms {
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
  }, async (request) => {
    const { pathname, search } = new URL(request.url);
    if (pathname === "/ticket_key" || pathname === "/relay_ticket") {
      return Response.json(
        { error: "not_found", message: `no route ${pathname}` },
        { status: 404 },
      );
    }
    const forwarded = await fetch(upstream + pathname + search, {
      method: request.method,
      headers: request.headers,
      body: request.body,
    });
    return new Response(forwarded.body, {
      status: forwarded.status,
      headers: forwarded.headers,
    });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    [Symbol.asyncDispose]: () => server.shutdown(),
  };
}
