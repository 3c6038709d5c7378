/**
 * The link's block history as evidence: every block's figures in SQLite
 * (`link_blocks`), across resets. A reset begins a new epoch
 * (`link_epochs`) instead of deleting anything, so an incident's graph is
 * still there when someone asks what happened. `GET /link_history`
 * (`link_history_routes.ts`) reads a time window of it, downsampled by time
 * bucket keeping each bucket's highest-QBER block: a spike is never
 * averaged away. Kept for 24 h and at most 100,000 blocks (fewer when the
 * KMS's `--retain-days` and `--retain-rows` say so).
 *
 * The short history the link's status follows (`/link_status`'s `history`,
 * the current epoch's last blocks) stays in `qber_history` (`store.ts`),
 * cleared at a reset as before.
 *
 * @module
 */

import type {
  EveMode,
  LinkEpoch,
  LinkHistoryBlock,
  LinkHistoryResponse,
  LinkStatus,
} from "../protocol/mod.ts";
import { DEFAULT_HISTORY_POINTS } from "../protocol/mod.ts";
import type { LinkBlockStats } from "../quantum/qkd_link.ts";
import type { KmsStore, Retention } from "./store.ts";

/** How long blocks are kept, at most (ms). */
export const HISTORY_MAX_AGE_MS = 86_400_000;
/** How many blocks are kept, at most. */
export const HISTORY_MAX_ROWS = 100_000;

/** One block to record: its figures, without the epoch (the current one). */
export type HistoryEntry = Omit<LinkHistoryBlock, "epoch" | "count">;

/**
 * The gains Q_μ of the signal, weak decoy and vacuum intensities of a
 * block: sifted detections per pulse of that intensity sent with matching
 * bases (probability q² + (1−q)² for key-basis probability q), the
 * observable a decoy-state analysis starts from (Lo, Ma and Chen 2005).
 *
 * @example
 * ```ts
 * import { assertAlmostEquals } from "@std/assert";
 * import { blockGains } from "./link_history.ts";
 *
 * const counts = (probability: number, n: number) =>
 *   ({ intensity: 0, probability, nX: n, mX: 0, nZ: 0, mZ: 0 });
 * const stats = {
 *   pulses: 1_000_000,
 *   counts: [counts(0.5, 2900), counts(0.25, 290), counts(0.25, 1)] as const,
 * };
 * const [signal] = blockGains(stats, 0.5); // matching bases: half the pulses
 * assertAlmostEquals(signal, 2900 / (1_000_000 * 0.5 * 0.5));
 * ```
 */
export function blockGains(
  block: Pick<LinkBlockStats, "pulses" | "counts">,
  keyBasisProbability: number,
): [number, number, number] {
  const q = keyBasisProbability;
  const matching = q * q + (1 - q) * (1 - q);
  const [signal, decoy, vacuum] = block.counts.map((c) => {
    const pulses = block.pulses * c.probability * matching;
    return pulses > 0 ? Math.min(1, (c.nX + c.nZ) / pulses) : 0;
  });
  return [signal, decoy, vacuum];
}

interface BlockRow {
  at: number;
  epoch: number;
  qber: number;
  rolling_qber: number;
  status: LinkStatus;
  eve: EveMode;
  gain_signal: number | null;
  gain_decoy: number | null;
  gain_vacuum: number | null;
  single_photon_lower: number | null;
  secret_bits: number;
  n: number;
}

const COLUMNS = "at, epoch, qber, rolling_qber, status, eve, gain_signal, " +
  "gain_decoy, gain_vacuum, single_photon_lower, secret_bits";

function historyBlock(row: BlockRow): LinkHistoryBlock {
  const { gain_signal, gain_decoy, gain_vacuum } = row;
  return {
    at: row.at,
    qber: row.qber,
    rolling_qber: row.rolling_qber,
    status: row.status,
    epoch: row.epoch,
    eve: row.eve,
    gains: gain_signal === null || gain_decoy === null || gain_vacuum === null
      ? null
      : [gain_signal, gain_decoy, gain_vacuum],
    single_photon_lower: row.single_photon_lower,
    secret_bits: row.secret_bits,
    count: row.n,
  };
}

/**
 * The persisted block history and its epochs.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { LinkHistory } from "./link_history.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:");
 * const history = new LinkHistory(store, { now: () => 1000 });
 * const block = {
 *   qber: 0.02, rolling_qber: 0.02, status: "GREEN", eve: "none",
 *   gains: null, single_photon_lower: null, secret_bits: 4096,
 * } as const;
 * history.record({ ...block, at: 2000 });
 * history.newEpoch("Operator", 3000);
 * history.record({ ...block, at: 4000, qber: 0.26 });
 * const answer = history.query({ since: 0, until: 5000 });
 * assertEquals(answer.epochs.map((e) => [e.epoch, e.reset_by]), [[1, null], [2, "Operator"]]);
 * assertEquals(answer.blocks.map((b) => [b.epoch, b.qber]), [[1, 0.02], [2, 0.26]]);
 * store.close();
 * ```
 */
export class LinkHistory {
  #store: KmsStore;
  #epoch: number;

  /** Opens the history; its first epoch begins now if it has none. */
  constructor(store: KmsStore, options: { now?: () => number } = {}) {
    this.#store = store;
    const last = store.statement(
      "SELECT max(epoch) AS epoch FROM link_epochs",
    ).get() as { epoch: number | null };
    if (last.epoch === null) {
      this.#epoch = 1;
      this.#insertEpoch(null, (options.now ?? Date.now)());
    } else this.#epoch = last.epoch;
  }

  /** The current epoch. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Records a block in the current epoch. */
  record(entry: HistoryEntry): void {
    const [signal, decoy, vacuum] = entry.gains ?? [null, null, null];
    this.#store.statement(
      `INSERT INTO link_blocks (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      entry.at,
      this.#epoch,
      entry.qber,
      entry.rolling_qber,
      entry.status,
      entry.eve,
      signal,
      decoy,
      vacuum,
      entry.single_photon_lower,
      entry.secret_bits,
    );
  }

  /** Begins the next epoch (a reset by `resetBy`, at `at` ms). */
  newEpoch(resetBy: string, at: number): number {
    this.#epoch++;
    this.#insertEpoch(resetBy, at);
    return this.#epoch;
  }

  #insertEpoch(resetBy: string | null, at: number): void {
    this.#store.statement(
      "INSERT INTO link_epochs (epoch, started_at, reset_by) VALUES (?, ?, ?)",
    ).run(this.#epoch, at, resetBy);
  }

  /**
   * The blocks from `window.since` to `window.until` (ms, inclusive), at
   * most `window.max` points (default 600): when there are more, the span
   * they cover is cut into `max` equal buckets and each bucket answers its
   * highest-QBER block (with `count`, the blocks it stands for). With the
   * epochs the window overlaps.
   */
  query(
    window: { since: number; until: number; max?: number },
  ): LinkHistoryResponse {
    const { since, until } = window;
    const max = window.max ?? DEFAULT_HISTORY_POINTS;
    const span = this.#store.statement(
      "SELECT count(*) AS n, min(at) AS first, max(at) AS last FROM link_blocks WHERE at BETWEEN ? AND ?",
    ).get(since, until) as { n: number; first: number; last: number };
    let rows: BlockRow[];
    if (span.n <= max) {
      rows = this.#store.statement(
        `SELECT ${COLUMNS}, 1 AS n FROM link_blocks WHERE at BETWEEN ? AND ? ORDER BY at, id`,
      ).all(since, until) as unknown as BlockRow[];
    } else {
      const width = Math.ceil((span.last - span.first + 1) / max);
      // SQLite takes a row's other columns from the row max() chose: each
      // bucket answers its highest-QBER block whole.
      rows = this.#store.statement(
        `SELECT ${COLUMNS}, count(*) AS n, max(qber) FROM link_blocks
         WHERE at BETWEEN ? AND ? GROUP BY CAST((at - ?) / ? AS INTEGER) ORDER BY at`,
      ).all(since, until, span.first, width) as unknown as BlockRow[];
    }
    return {
      epochs: this.#epochs(since, until),
      blocks: rows.map(historyBlock),
    };
  }

  // The epochs that began before `until` and had not ended by `since`.
  #epochs(since: number, until: number): LinkEpoch[] {
    return this.#store.statement(
      `SELECT epoch, started_at, reset_by FROM link_epochs AS e
       WHERE started_at <= ? AND coalesce(
         (SELECT min(started_at) FROM link_epochs WHERE epoch > e.epoch), ?
       ) >= ? ORDER BY epoch`,
    ).all(until, Number.MAX_SAFE_INTEGER, since) as unknown as LinkEpoch[];
  }

  /**
   * Deletes blocks older than 24 h (or `retention.maxAgeDays`, if fewer)
   * and beyond the newest 100,000 (or `retention.maxRows`), and the epochs
   * that ended before the oldest kept block; returns the blocks deleted.
   */
  prune(retention: Retention, now: number = Date.now()): number {
    const age = Math.min(HISTORY_MAX_AGE_MS, retention.maxAgeDays * 86_400_000);
    const rows = Math.min(HISTORY_MAX_ROWS, retention.maxRows);
    return this.#store.batch(() => {
      const removed = Number(
        this.#store.statement("DELETE FROM link_blocks WHERE at < ?")
          .run(now - age).changes,
      ) + Number(
        this.#store.statement(
          `DELETE FROM link_blocks WHERE id <= (SELECT id FROM link_blocks ORDER BY id DESC LIMIT 1 OFFSET ?)`,
        ).run(rows).changes,
      );
      const oldest = this.#store.statement(
        "SELECT min(at) AS at FROM link_blocks",
      ).get() as { at: number | null };
      this.#store.statement(
        `DELETE FROM link_epochs WHERE epoch < ? AND epoch < (
           SELECT max(epoch) FROM link_epochs WHERE started_at <= ?)`,
      ).run(this.#epoch, oldest.at ?? now - age);
      return removed;
    });
  }
}
