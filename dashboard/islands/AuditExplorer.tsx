/// <reference lib="dom" />
import { useEffect, useState } from "preact/hooks";
import { TableScroll } from "../components/TableScroll.tsx";
import {
  type AuditFilters,
  auditHref,
  auditSentence,
  KNOWN_TAGS,
} from "../audit_view.ts";
import {
  type AuditQueryResponse,
  isAuditQueryResponse,
} from "../../protocol/soc_api.ts";

const START: AuditFilters = { tag: "", device: "", q: "", collapse: true };

type Page =
  | { state: "idle" }
  | { state: "loading" }
  | { state: "error"; message: string }
  | { state: "done"; answer: AuditQueryResponse; before?: number };

async function fetchPage(href: string): Promise<Page> {
  try {
    const response = await fetch(href, {
      headers: { accept: "application/json" },
    });
    const json = await response.json().catch(() => null);
    if (!response.ok) {
      return {
        state: "error",
        message: json?.message ?? `the server answered ${response.status}`,
      };
    }
    return isAuditQueryResponse(json)
      ? { state: "done", answer: json }
      : { state: "error", message: "an answer of the wrong shape" };
  } catch {
    return { state: "error", message: "the dashboard server is unreachable" };
  }
}

/** A labelled text field of the filter form, `audit-NAME` by id and test id. */
function Field(props: {
  name: string;
  label: string;
  value: string;
  onInput: (event: Event) => void;
  placeholder?: string;
  list?: string;
  type?: string;
}) {
  const id = `audit-${props.name}`;
  return (
    <div class="field">
      <label for={id}>{props.label}</label>
      <input
        id={id}
        type={props.type ?? "text"}
        list={props.list}
        value={props.value}
        onInput={props.onInput}
        placeholder={props.placeholder}
        autocomplete="off"
        data-testid={id}
      />
    </div>
  );
}

/**
 * The KMS's whole audit log, queried: filter by tag and device, search the
 * text, runs of the same tag and device collapsed into one row with their
 * count and times, page by page (older, newest), and the same query
 * exported as CSV or JSON. Every request goes to this server, which asks the
 * KMS with its operator credential.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import AuditExplorer from "./AuditExplorer.tsx";
 *
 * const html = renderToString(<AuditExplorer />);
 * assertStringIncludes(html, '<label for="audit-tag">Tag</label>');
 * assertStringIncludes(html, 'href="/api/audit?limit=50&amp;collapse=1&amp;format=csv"');
 * ```
 */
export default function AuditExplorer() {
  const [filters, setFilters] = useState<AuditFilters>(START);
  const [asked, setAsked] = useState<AuditFilters>(START);
  const [page, setPage] = useState<Page>({ state: "idle" });

  async function load(next: AuditFilters, before?: number) {
    setAsked(next);
    setPage({ state: "loading" });
    const result = await fetchPage(auditHref(next, { before }));
    setPage(result.state === "done" ? { ...result, before } : result);
  }

  useEffect(() => {
    load(START);
  }, []);

  const set = (field: keyof AuditFilters) => (event: Event) => {
    const input = event.currentTarget as HTMLInputElement;
    setFilters({
      ...filters,
      [field]: input.type === "checkbox" ? input.checked : input.value,
    });
  };
  const rows = page.state === "done" ? page.answer.rows : [];
  return (
    <div class="audit-explorer" data-testid="audit-explorer">
      <form
        class="audit-filters"
        onSubmit={(event) => {
          event.preventDefault();
          load(filters);
        }}
      >
        <Field
          name="tag"
          label="Tag"
          value={filters.tag}
          onInput={set("tag")}
          placeholder="e.g. LINK_RED"
          list="audit-tags"
        />
        <datalist id="audit-tags">
          {KNOWN_TAGS.map((tag) => <option key={tag} value={tag} />)}
        </datalist>
        <Field
          name="device"
          label="Device"
          value={filters.device}
          onInput={set("device")}
          placeholder="e.g. Soldier_Alpha"
        />
        <Field
          name="q"
          label="Search"
          value={filters.q}
          onInput={set("q")}
          type="search"
        />
        <label class="switch">
          <input
            type="checkbox"
            checked={filters.collapse}
            onChange={set("collapse")}
            data-testid="audit-collapse"
          />
          Collapse repeats
        </label>
        <button class="btn btn-quiet" type="submit" data-testid="audit-search">
          Search
        </button>
        <span class="audit-exports">
          Export:{" "}
          <a
            href={auditHref(asked, { format: "csv" })}
            download
            data-testid="audit-csv"
          >
            CSV
          </a>{" "}
          <a
            href={auditHref(asked, { format: "json" })}
            download
            data-testid="audit-json"
          >
            JSON
          </a>
        </span>
      </form>
      <p class="audit-status" role="status" data-testid="audit-status">
        {page.state === "loading"
          ? "Asking the KMS…"
          : page.state === "error"
          ? `The audit query failed: ${page.message}`
          : page.state === "done"
          ? `${rows.length} row${rows.length === 1 ? "" : "s"}${
            page.before === undefined
              ? ", newest first"
              : ` before #${page.before}`
          }`
          : ""}
      </p>
      {rows.length > 0 && (
        <TableScroll label="Audit rows">
          <table class="audit-rows" data-testid="audit-rows">
            <thead>
              <tr>
                <th scope="col">Summary</th>
                <th scope="col">Count</th>
                <th scope="col">Details (latest)</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id} data-tag={row.tag} data-count={row.count}>
                  <td class="audit-summary">{auditSentence(row)}</td>
                  <td>{row.count}</td>
                  <td class="audit-message">{row.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <div class="audit-pages">
        <button
          class="btn btn-quiet btn-small"
          type="button"
          disabled={page.state !== "done" || page.before === undefined}
          onClick={() => load(asked)}
        >
          Newest
        </button>
        <button
          class="btn btn-quiet btn-small"
          type="button"
          data-testid="audit-older"
          disabled={page.state !== "done" || page.answer.next_before === null}
          onClick={() =>
            page.state === "done" && page.answer.next_before !== null &&
            load(asked, page.answer.next_before)}
        >
          Older
        </button>
      </div>
    </div>
  );
}
