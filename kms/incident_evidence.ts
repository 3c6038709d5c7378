/**
 * What the link's blocks and resets leave as evidence: each block goes to
 * the persisted history (`link_history.ts`), the link turning RED opens an
 * incident (`incident.ts`) that counts the RED blocks, and a reset closes
 * it, naming the operator, and begins a new epoch of the history.
 * `quantum_link.ts` tells it what happened; this decides what it means.
 *
 * @module
 */

import {
  type BlockReport,
  type LinkStatus,
  rollingQber,
} from "../protocol/mod.ts";
import type { LinkBlockStats } from "../quantum/qkd_link.ts";
import type { IncidentLog } from "./incident.ts";
import { blockGains, type LinkHistory } from "./link_history.ts";

/** The link around one block, as it left it. */
export interface BlockContext {
  /** The status before the block. */
  before: LinkStatus;
  /** The status after it. */
  status: LinkStatus;
  /** The recent blocks' QBER the status follows, this one last. */
  history: readonly number[];
  /** The block's measured figures. */
  stats: Pick<LinkBlockStats, "pulses" | "counts">;
}

/**
 * The link's evidence.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Auditor } from "./audit.ts";
 * import { EventHub } from "./events.ts";
 * import { IncidentLog } from "./incident.ts";
 * import { LinkEvidence } from "./incident_evidence.ts";
 * import { LinkHistory } from "./link_history.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:");
 * const hub = new EventHub();
 * const incidents = new IncidentLog(store, hub, { audit: new Auditor(store, hub, { log: () => {} }) });
 * const history = new LinkHistory(store);
 * const evidence = new LinkEvidence({ history, incidents, keyBasisProbability: 0.7 });
 * const report = {
 *   index: 1, time: new Date().toISOString(), outcome: "qber_above_threshold", eve: "intercept_resend",
 *   qber: 0.26, pulses: 3e7, duration_s: 0.03, detections: 1e5, leaked_bits: 0,
 *   secret_bits: 0, decoy: null,
 * } as const;
 * const counts = { intensity: 0.5, probability: 0.2, nX: 2e4, mX: 5e3, nZ: 8e3, mZ: 2e3 };
 * const stats = { pulses: 3e7, counts: [counts, counts, counts] as const };
 * evidence.block(report, { before: "YELLOW", status: "RED", history: [0.02, 0.26], stats });
 * evidence.block(report, { before: "RED", status: "RED", history: [0.02, 0.26, 0.26], stats });
 * assertEquals(incidents.current?.blocks, 2);
 * evidence.reset("Operator");
 * assertEquals(incidents.snapshot().recent[0].closed_by, "Operator");
 * incidents.stop();
 * store.close();
 * ```
 */
export class LinkEvidence {
  #history: LinkHistory;
  #incidents: IncidentLog;
  #keyBasisProbability: number;

  /**
   * Records into `parts.history` and `parts.incidents`, for a link of
   * key-basis probability `parts.keyBasisProbability` (for the gains).
   */
  constructor(
    parts: {
      history: LinkHistory;
      incidents: IncidentLog;
      keyBasisProbability: number;
    },
  ) {
    this.#history = parts.history;
    this.#incidents = parts.incidents;
    this.#keyBasisProbability = parts.keyBasisProbability;
  }

  /**
   * The link was restored `status` at its start: a RED link with no open
   * incident (stored by a KMS before issue 18) gets one.
   */
  restored(status: LinkStatus, qber: number): void {
    if (status === "RED" && !this.#incidents.current) {
      this.#incidents.open({ qber, epoch: this.#history.epoch });
    }
  }

  /** A block the link recorded, and the status it left. */
  block(report: BlockReport, link: BlockContext): void {
    this.#history.record({
      at: Date.parse(report.time),
      qber: report.qber,
      rolling_qber: rollingQber(link.history),
      status: link.status,
      eve: report.eve,
      gains: blockGains(link.stats, this.#keyBasisProbability),
      single_photon_lower: report.decoy?.single_photon_detections_lower ??
        null,
      secret_bits: report.secret_bits,
    });
    if (link.status !== "RED") return;
    if (link.before === "RED") this.#incidents.block(report.qber);
    else {this.#incidents.open({
        qber: report.qber,
        epoch: this.#history.epoch,
      });}
  }

  /** An operator's reset: the incident closes, a new epoch begins. */
  reset(operator: string): void {
    this.#incidents.close(operator);
    this.#history.newEpoch(operator, Date.now());
  }
}
