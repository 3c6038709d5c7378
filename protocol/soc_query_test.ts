import { assertEquals } from "@std/assert";
import {
  type AuditQuery,
  type LinkHistoryQuery,
  MAX_AUDIT_LIMIT,
  MAX_HISTORY_POINTS,
} from "./soc_api.ts";
import {
  auditQuerySearch,
  linkHistorySearch,
  parseAuditQuery,
  parseLinkHistoryQuery,
} from "./soc_query.ts";

const params = (text: string) => new URLSearchParams(text);

Deno.test("audit queries read back as built", () => {
  const queries: AuditQuery[] = [
    {},
    { tag: "LINK_RED" },
    { device: "Soldier_Alpha", collapse: true, limit: MAX_AUDIT_LIMIT },
    { q: "rolling_qber=0.2 & more", before: 123, collapse: false },
    { format: "csv", limit: 1 },
  ];
  for (const query of queries) {
    assertEquals(parseAuditQuery(params(auditQuerySearch(query))), {
      ok: true,
      query,
    });
  }
});

Deno.test("bad audit parameters are refused with a reason", () => {
  const bad = [
    "tag=link_red",
    "tag=",
    "tag=A%20B",
    "device=two%20words",
    "device=" + "x".repeat(65),
    "q=",
    "q=" + "x".repeat(201),
    "before=0",
    "before=-4",
    "before=1e3",
    "before=0x10",
    "limit=0",
    `limit=${MAX_AUDIT_LIMIT + 1}`,
    "limit=5.5",
    "collapse=true",
    "format=xml",
    "tag=A&tag=B",
    "page=2",
  ];
  for (const text of bad) {
    const parsed = parseAuditQuery(params(text));
    assertEquals(parsed.ok, false, text);
    if (!parsed.ok) assertEquals(typeof parsed.reason, "string");
  }
});

Deno.test("history queries: ranges, order, points", () => {
  const queries: LinkHistoryQuery[] = [
    {},
    { since: 0, until: 5 },
    { since: 1_700_000_000_000, max: MAX_HISTORY_POINTS },
  ];
  for (const query of queries) {
    assertEquals(parseLinkHistoryQuery(params(linkHistorySearch(query))), {
      ok: true,
      query,
    });
  }
  for (
    const text of [
      "since=5&until=4",
      "max=0",
      `max=${MAX_HISTORY_POINTS + 1}`,
      "since=-1",
      "until=abc",
      "since=1&since=2",
      "from=1",
    ]
  ) {
    assertEquals(parseLinkHistoryQuery(params(text)).ok, false, text);
  }
});
