/**
 * The analyst's questions that the browser asks through this server: the
 * link's block history, the audit query and its exports, acknowledging an
 * incident, the relay's devices and the KMS's rooms. The server adds the
 * operator's credential (and the relay's admin token), which never reach a
 * browser, reads the parameters with the KMS's own parsers
 * (`protocol/soc_query.ts`) and passes on only what they read, and redacts
 * long hex runs in audit messages as `kms_wire.ts` does for the live feed.
 *
 * @module
 */

import { parseRelayDeviceReport } from "../protocol/relay_devices.ts";
import {
  auditQuerySearch,
  linkHistorySearch,
  parseAuditQuery,
  parseLinkHistoryQuery,
} from "../protocol/soc_query.ts";
import type { RoomState } from "../protocol/room_api.ts";

/** A room as the dashboard passes it on: without its signed membership. */
export type RoomRow = Omit<RoomState, "membership">;
import { redactHex } from "./kms_wire.ts";

/** Options for {@linkcode SocQueries}. */
export interface SocQueriesOptions {
  /** Base URL of the KMS, without a trailing slash. */
  kmsUrl: string;
  /** The operator's bearer token for the KMS. */
  operatorToken?: string;
  /** Base URL of the relay's HTTP side, when the network view has one. */
  relayUrl?: string;
  /** The relay's admin token, with `relayUrl`. */
  relayToken?: string;
  /** The fetch to use (tests pass a fake KMS). Default `fetch`. */
  fetch?: typeof fetch;
}

const TIMEOUT_MS = 10_000;

function search(text: string): string {
  return text === "" ? "" : `?${text}`;
}

function failure(status: number, message: string): Response {
  return Response.json({ message }, { status });
}

type Json = Record<string, unknown>;

function redactRows(body: Json): Json {
  if (!Array.isArray(body.rows)) return body;
  return {
    ...body,
    rows: body.rows.map((row: Json) =>
      typeof row?.message === "string"
        ? { ...row, message: redactHex(row.message) }
        : row
    ),
  };
}

/**
 * The dashboard server's queries to the KMS and the relay on a browser's
 * behalf.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { SocQueries } from "./soc_queries.ts";
 *
 * const seen: string[] = [];
 * const queries = new SocQueries({
 *   kmsUrl: "http://kms.test",
 *   operatorToken: "op-token-0123456789",
 *   fetch: (input, init) => {
 *     seen.push(`${input} ${new Headers(init?.headers).get("authorization")}`);
 *     return Promise.resolve(Response.json({ rows: [{ message: "key=" + "ab".repeat(20) }], next_before: null }));
 *   },
 * });
 * const answer = await queries.audit(new URLSearchParams("tag=LINK_RED"));
 * assertEquals(seen, ["http://kms.test/audit?tag=LINK_RED Bearer op-token-0123456789"]);
 * assertEquals((await answer.json()).rows[0].message, "key=[redacted]");
 * assertEquals((await queries.audit(new URLSearchParams("token=x"))).status, 400);
 * assertEquals((await queries.devices()).status, 404);
 * ```
 */
export class SocQueries {
  #options: SocQueriesOptions;
  #fetch: typeof fetch;

  /** Creates the queries; nothing is asked until a method is called. */
  constructor(options: SocQueriesOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
  }

  /** Whether a relay is configured for the network view. */
  get hasRelay(): boolean {
    return this.#options.relayUrl !== undefined;
  }

  /**
   * `GET /link_history` of the KMS, as JSON; parameters it would refuse are
   * refused here (400), before the KMS is asked.
   */
  async linkHistory(params: URLSearchParams): Promise<Response> {
    const parsed = parseLinkHistoryQuery(params);
    if (!parsed.ok) return failure(400, parsed.reason);
    const answer = await this.#kms(
      `/link_history${search(linkHistorySearch(parsed.query))}`,
    );
    if (!answer.ok) return answer.response;
    return Response.json(answer.body);
  }

  /**
   * `GET /audit` of the KMS: JSON with its messages redacted, or with
   * `format=csv` the KMS's CSV (redacted too) as a download, or with
   * `format=json&download=1` the JSON as a download. Parameters the KMS
   * would refuse are refused here (400).
   */
  async audit(params: URLSearchParams): Promise<Response> {
    const own = new URLSearchParams(params);
    const download = own.get("download") === "1";
    own.delete("download");
    const parsed = parseAuditQuery(own);
    if (!parsed.ok) return failure(400, parsed.reason);
    const query = search(auditQuerySearch(parsed.query));
    if (parsed.query.format === "csv") {
      const response = await this.#get(
        `${this.#options.kmsUrl}/audit${query}`,
        this.#options.operatorToken,
      );
      if (!response) return failure(502, "the KMS is unreachable");
      if (!response.ok) return await this.#refused(response);
      return new Response(redactHex(await response.text()), {
        headers: {
          "content-type": "text/csv; charset=utf-8",
          "content-disposition": 'attachment; filename="qstcs_audit.csv"',
        },
      });
    }
    const answer = await this.#kms(`/audit${query}`);
    if (!answer.ok) return answer.response;
    const body = redactRows(answer.body);
    if (download) {
      return new Response(JSON.stringify(body, null, 2), {
        headers: {
          "content-type": "application/json; charset=utf-8",
          "content-disposition": 'attachment; filename="qstcs_audit.json"',
        },
      });
    }
    return Response.json(body);
  }

  /** `POST /incidents/acknowledge` of the KMS for `incidentId`. */
  async acknowledge(incidentId: number): Promise<Response> {
    let response: Response;
    try {
      response = await this.#fetch(
        `${this.#options.kmsUrl}/incidents/acknowledge`,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...bearer(this.#options.operatorToken),
          },
          body: JSON.stringify({ incident_id: incidentId }),
          signal: AbortSignal.timeout(TIMEOUT_MS),
        },
      );
    } catch {
      return failure(502, "the KMS is unreachable");
    }
    if (!response.ok) return await this.#refused(response);
    return Response.json(await response.json().catch(() => ({})));
  }

  /** The relay's `GET /devices`, checked field by field; 404 without a relay. */
  async devices(): Promise<Response> {
    const { relayUrl, relayToken } = this.#options;
    if (relayUrl === undefined) {
      return failure(404, "no relay configured (--relay)");
    }
    const response = await this.#get(`${relayUrl}/devices`, relayToken);
    if (!response) {
      return failure(502, `the relay is unreachable at ${relayUrl}`);
    }
    if (!response.ok) {
      await response.body?.cancel();
      return failure(502, `the relay answered ${response.status}`);
    }
    const report = parseRelayDeviceReport(
      await response.json().catch(() => null),
    );
    return report
      ? Response.json(report)
      : failure(502, "the relay's answer is not a device report");
  }

  /**
   * The KMS's `GET /rooms`: each room's name, epoch, leader, expected size,
   * members and whether it is ready; nothing else (no signed membership).
   * A KMS without rooms (404) answers `{rooms: [], supported: false}`.
   */
  async rooms(): Promise<Response> {
    const answer = await this.#kms("/rooms");
    // A KMS from before squad rooms: an answer ("none, and none possible").
    if (!answer.ok && answer.response.status === 404) {
      await answer.response.body?.cancel();
      return Response.json({ rooms: [], supported: false });
    }
    if (!answer.ok) return answer.response;
    const rooms = Array.isArray(answer.body.rooms) ? answer.body.rooms : [];
    return Response.json({
      rooms: rooms.filter(isRoom).map((room) => ({
        room: room.room,
        epoch: room.epoch,
        leader: room.leader,
        expected: room.expected,
        members: room.members.filter((name) => typeof name === "string"),
        ready: room.ready,
      })),
    });
  }

  async #get(url: string, token: string | undefined): Promise<Response | null> {
    try {
      return await this.#fetch(url, {
        headers: { accept: "application/json", ...bearer(token) },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch {
      return null;
    }
  }

  async #kms(
    path: string,
  ): Promise<{ ok: true; body: Json } | { ok: false; response: Response }> {
    const response = await this.#get(
      `${this.#options.kmsUrl}${path}`,
      this.#options.operatorToken,
    );
    if (!response) {
      return { ok: false, response: failure(502, "the KMS is unreachable") };
    }
    if (!response.ok) {
      return { ok: false, response: await this.#refused(response) };
    }
    const body = await response.json().catch(() => null);
    if (typeof body !== "object" || body === null || Array.isArray(body)) {
      return {
        ok: false,
        response: failure(502, "the KMS's answer is not JSON"),
      };
    }
    return { ok: true, body };
  }

  // The KMS's own message for a bad parameter (400) or a missing incident
  // (404); anything else is the KMS's trouble, a 502 here.
  async #refused(response: Response): Promise<Response> {
    const body = await response.json().catch(() => null);
    const message = typeof body?.message === "string"
      ? body.message
      : `the KMS answered ${response.status}`;
    const status = response.status === 400 || response.status === 404
      ? response.status
      : 502;
    return failure(status, message);
  }
}

function isRoom(value: unknown): value is RoomRow {
  const room = value as RoomState;
  return typeof room === "object" && room !== null &&
    typeof room.room === "string" && typeof room.epoch === "number" &&
    typeof room.leader === "string" && typeof room.expected === "number" &&
    Array.isArray(room.members) && typeof room.ready === "boolean";
}

function bearer(token: string | undefined): Record<string, string> {
  return token ? { authorization: `Bearer ${token}` } : {};
}
