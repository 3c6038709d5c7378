/**
 * Test helper: a KMS in memory, reached through a `fetch` function, for the
 * dashboard's unit tests (the system tests use the real KMS process).
 *
 * @module
 */

import type { KmsEvent, KmsEventName } from "../protocol/kms_event.ts";
import type {
  BlockEventData,
  BlockReport,
  LinkReport,
  PoolChange,
  PoolEventData,
} from "../protocol/link_report.ts";
import type { LinkStatusResponse } from "../protocol/types.ts";
import type { Incident } from "../protocol/incident.ts";
import type { AuditRow, LinkHistoryResponse } from "../protocol/soc_api.ts";
import {
  SAMPLE_LINK_REPORT,
  SAMPLE_LINK_STATUS,
} from "../protocol/_test_link_report.ts";

/**
 * The protocol's sample link with its last block's decoy estimates exactly as
 * one run of the engine measured them on the demo link (`runLinkBlock`:
 * s_X,1 ≈ 64% of 10^6 detections, φ_X ≈ 4.6%).
 */
export const FAKE_LINK_REPORT: LinkReport = {
  ...SAMPLE_LINK_REPORT,
  last_block: {
    ...SAMPLE_LINK_REPORT.last_block!,
    decoy: {
      vacuum_detections_lower: 1200,
      single_photon_detections_lower: 640_156,
      phase_error_upper: 0.046,
    },
  },
};

/** An in-memory KMS with the routes the dashboard calls. */
export class FakeKms {
  /** What `/link_status` answers (and `/events` starts with). */
  linkStatus: LinkStatusResponse = {
    ...SAMPLE_LINK_STATUS,
    link: FAKE_LINK_REPORT,
  };
  /** The `Date` header of `/link_status`, if any. */
  date: string | null = null;
  /** Whether `/link_status` fails as a dead KMS would (the stream stays open). */
  pollsFail = false;
  /** When set, what `/force_attack` and `/reset` answer. */
  actionResponse: (() => Response) | null = null;
  /** What `/healthz` says of authentication (`"auth"`). */
  auth: "open" | "required" = "required";
  /** What `/link_history` answers. */
  history: LinkHistoryResponse = {
    epochs: [{ epoch: 1, started_at: 0, reset_by: null }],
    blocks: [],
  };
  /** The audit rows `/audit` answers from (newest first), filtered by `tag` only. */
  auditRows: AuditRow[] = [];
  /** The query string of every `/audit` and `/link_history` request, in order. */
  queries: string[] = [];
  /** What `/rooms` answers; `null` answers 404, as a KMS before issue 17. */
  rooms: unknown = null;
  /** Method and path of every request, in order. */
  requests: string[] = [];
  /** The `Authorization` header of each operator action, in order. */
  actionAuthorizations: (string | null)[] = [];
  /** The `Authorization` header of each `/events` subscription, in order. */
  eventsAuthorizations: (string | null)[] = [];
  #up = true;
  #streams = new Set<ReadableStreamDefaultController<Uint8Array>>();

  /** A `fetch` for {@linkcode KmsMonitor}. */
  fetch: typeof fetch = (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    this.requests.push(`${init?.method ?? "GET"} ${url.pathname}`);
    if (!this.#up) {
      return Promise.reject(new TypeError("error sending request: refused"));
    }
    switch (url.pathname) {
      case "/events":
        this.eventsAuthorizations.push(authorization(init));
        return Promise.resolve(this.#events(init?.signal ?? undefined));
      case "/link_status":
        if (this.pollsFail) {
          return Promise.reject(new DOMException("timed out", "TimeoutError"));
        }
        return Promise.resolve(
          Response.json(this.linkStatus, {
            headers: this.date ? { date: this.date } : {},
          }),
        );
      case "/link_history":
        this.queries.push(url.search);
        return Promise.resolve(Response.json(this.history));
      case "/audit":
        this.queries.push(url.search);
        return Promise.resolve(this.#audit(url.searchParams));
      case "/incidents/acknowledge":
        this.#noteAuthorization(init);
        return this.#acknowledge(init);
      case "/rooms":
        return Promise.resolve(
          this.rooms === null
            ? Response.json({ message: "no route" }, { status: 404 })
            : Response.json(this.rooms),
        );
      case "/healthz":
        return Promise.resolve(
          Response.json({ status: "ok", auth: this.auth }),
        );
      case "/force_attack":
        this.#noteAuthorization(init);
        return Promise.resolve(
          this.actionResponse?.() ??
            Response.json({ status: "RED", qber: 0.25 }),
        );
      case "/reset":
        this.#noteAuthorization(init);
        return Promise.resolve(
          this.actionResponse?.() ??
            Response.json({ status: "reset_complete" }),
        );
      default:
        return Promise.resolve(new Response("no route", { status: 404 }));
    }
  };

  /**
   * Opens, changes or closes an incident as the KMS does: `/link_status`'s
   * `incidents` follow, and an `incident` event goes out.
   */
  setIncident(incident: Incident): void {
    const known = this.linkStatus.incidents ?? { open: null, recent: [] };
    const recent = [
      incident,
      ...known.recent.filter((other) => other.id !== incident.id),
    ].sort((a, b) => b.id - a.id);
    this.linkStatus = {
      ...this.linkStatus,
      incidents: {
        open: incident.closed_at === null ? incident : null,
        recent,
      },
    };
    this.emit("incident", incident);
  }

  #audit(params: URLSearchParams): Response {
    const tag = params.get("tag");
    const rows = this.auditRows.filter((row) =>
      tag === null || row.tag === tag
    );
    if (params.get("format") === "csv") {
      const lines = rows.map((row) =>
        `${row.id},${new Date(row.at).toISOString()},${row.tag},"${
          row.message.replaceAll('"', '""')
        }",${row.device ?? ""},${row.count}`
      );
      return new Response(
        ["id,at,tag,message,device,count", ...lines].join("\r\n") + "\r\n",
        { headers: { "content-type": "text/csv" } },
      );
    }
    return Response.json({ rows, next_before: null });
  }

  async #acknowledge(init: RequestInit | undefined): Promise<Response> {
    const { incident_id } = JSON.parse(String(init?.body ?? "{}"));
    const incident = this.linkStatus.incidents?.recent.find((known) =>
      known.id === incident_id
    );
    if (!incident) {
      return Response.json({ message: "no such incident" }, { status: 404 });
    }
    const acknowledged = {
      ...incident,
      acknowledged_by: "Operator",
      acknowledged_at: Date.now(),
    };
    this.setIncident(acknowledged);
    return await Promise.resolve(Response.json(acknowledged));
  }

  /** Number of open `/events` streams. */
  get subscribers(): number {
    return this.#streams.size;
  }

  /** Sends an event on every open stream. */
  emit<N extends KmsEventName>(
    event: N,
    data: Extract<KmsEvent, { event: N }>["data"],
  ): void {
    const bytes = new TextEncoder().encode(
      `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`,
    );
    for (const stream of this.#streams) stream.enqueue(bytes);
  }

  /**
   * Finishes the link's next block as the KMS does: the link report (what
   * `/link_status` and new subscriptions see) moves on, and a `block` event
   * goes out. `fields` replace the sample block's; a keyless outcome adds
   * no bits to the pool.
   */
  finishBlock(fields: Partial<BlockReport> = {}): BlockEventData {
    const link = this.linkStatus.link;
    const previous = link.last_block ?? SAMPLE_LINK_REPORT.last_block!;
    const block: BlockReport = {
      ...previous,
      index: link.blocks + 1,
      time: new Date(Date.parse(previous.time) + 1000).toISOString(),
      ...fields,
    };
    if (block.outcome !== "key") block.secret_bits = 0;
    const poolBits = Math.min(
      link.pool_capacity_bits,
      link.pool_bits + block.secret_bits,
    );
    const keyRate = Math.round(block.secret_bits / block.duration_s);
    this.linkStatus = {
      ...this.linkStatus,
      link: {
        ...link,
        eve: block.eve,
        key_rate_bps: keyRate,
        pool_bits: poolBits,
        blocks: block.index,
        last_block: block,
      },
    };
    const data: BlockEventData = {
      ...block,
      pool_bits: poolBits,
      pool_capacity_bits: link.pool_capacity_bits,
      key_rate_bps: keyRate,
    };
    this.emit("block", data);
    return data;
  }

  /** Takes `bits` from the pool, or flushes it, sending a `pool` event. */
  changePool(change: PoolChange, bits: number): PoolEventData {
    const link = this.linkStatus.link;
    const taken = change === "flushed" ? link.pool_bits : bits;
    const poolBits = Math.max(0, link.pool_bits - taken);
    this.linkStatus = {
      ...this.linkStatus,
      link: { ...link, pool_bits: poolBits },
    };
    const data: PoolEventData = {
      change,
      bits: taken,
      pool_bits: poolBits,
      pool_capacity_bits: link.pool_capacity_bits,
      time: new Date(
        Date.parse(
          link.last_block?.time ?? SAMPLE_LINK_REPORT.last_block!.time,
        ) +
          500,
      ).toISOString(),
    };
    this.emit("pool", data);
    return data;
  }

  /** Goes down: open streams end, requests fail. */
  stop(): void {
    this.#up = false;
    for (const stream of this.#streams) stream.close();
    this.#streams.clear();
  }

  /** Comes back. */
  start(): void {
    this.#up = true;
  }

  #noteAuthorization(init: RequestInit | undefined): void {
    this.actionAuthorizations.push(authorization(init));
  }

  #events(signal?: AbortSignal): Response {
    const streams = this.#streams;
    let self: ReadableStreamDefaultController<Uint8Array>;
    const first = new TextEncoder().encode(
      `event: state\ndata: ${JSON.stringify(this.linkStatus)}\n\n`,
    );
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        self = controller;
        streams.add(controller);
        controller.enqueue(first);
        signal?.addEventListener("abort", () => {
          streams.delete(controller);
          controller.error(signal.reason);
        });
      },
      cancel() {
        streams.delete(self);
      },
    });
    return new Response(body, {
      headers: { "content-type": "text/event-stream" },
    });
  }
}

function authorization(init: RequestInit | undefined): string | null {
  return new Headers(init?.headers).get("authorization");
}

/** A {@linkcode FakeKms} served over HTTP on loopback, for real processes. */
export interface ServedFakeKms {
  /** Base URL, e.g. http://127.0.0.1:43125. */
  url: string;
  /** Stops serving (open streams end first). */
  close(): Promise<void>;
}

/** Serves `kms` on a free loopback port, as a dashboard process reaches a KMS. */
export function serveFakeKms(kms: FakeKms): ServedFakeKms {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    // No signal: a browser that leaves cancels its event stream's body.
    async (request) =>
      kms.fetch(request.url, {
        method: request.method,
        headers: request.headers,
        body: request.method === "POST" ? await request.text() : undefined,
      }),
  );
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    close: async () => {
      kms.stop();
      await server.shutdown();
    },
  };
}
