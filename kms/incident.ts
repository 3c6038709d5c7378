/**
 * The link's incidents (`protocol/incident.ts`), in SQLite so a restart
 * keeps them. One opens when the link's status turns RED (the rolling
 * average of five blocks, not a single block), and while it is open it
 * counts the RED blocks, their peak QBER and every key request refused for
 * RED, with the devices that made them (counted here, not one audit row
 * each: those rows are rate-limited). A reset closes it, naming the
 * operator. A link that leaves RED by itself (Eve switched off, five honest
 * blocks) leaves it open: someone has to look at it and reset.
 * `attacks_detected` counts incidents.
 *
 * Changes while open are written and published (the `incident` event) at
 * most once a second; opening, acknowledging and closing at once.
 *
 * @module
 */

import {
  type Incident,
  type LinkIncidents,
  RECENT_INCIDENTS,
} from "../protocol/mod.ts";
import type { Auditor } from "./audit.ts";
import type { EventHub } from "./events.ts";
import type { KmsStore } from "./store.ts";

/** How often an open incident's changes are written and published (ms). */
export const INCIDENT_UPDATE_MS = 1000;

/** Most devices an incident names (more are counted in `key_refusals`). */
export const MAX_AFFECTED_DEVICES = 64;

/** Counter of incidents, `/link_status`'s `attacks_detected`. */
export const ATTACKS_DETECTED = "attacks_detected";

/** What {@linkcode IncidentLog} writes through. */
export interface IncidentLogOptions {
  /** Where INCIDENT_OPENED, INCIDENT_CLOSED and ALERT_ACKNOWLEDGED go. */
  audit: Auditor;
  /** The clock, Unix ms (default Date.now). */
  now?: () => number;
}

interface IncidentRow extends Omit<Incident, "affected_devices"> {
  affected_devices: string;
}

function incidentOf(row: IncidentRow): Incident {
  return { ...row, affected_devices: JSON.parse(row.affected_devices) };
}

const COLUMNS = "id, opened_at, closed_at, peak_qber, first_qber, blocks, " +
  "key_refusals, affected_devices, closed_by, acknowledged_by, " +
  "acknowledged_at, epoch";

/**
 * The incidents of the link.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { Auditor } from "./audit.ts";
 * import { EventHub } from "./events.ts";
 * import { IncidentLog } from "./incident.ts";
 * import { KmsStore } from "./store.ts";
 *
 * const store = new KmsStore(":memory:");
 * const hub = new EventHub();
 * const incidents = new IncidentLog(store, hub, {
 *   audit: new Auditor(store, hub, { log: () => {} }),
 *   now: () => 1_700_000_000_000,
 * });
 * incidents.open({ qber: 0.25, epoch: 1 }); // the link turned RED
 * incidents.block(0.27);
 * incidents.refused("Soldier_Alpha");
 * incidents.refused("Soldier_Alpha");
 * const closed = incidents.close("Operator")!;
 * assertEquals(
 *   [closed.peak_qber, closed.blocks, closed.key_refusals, closed.affected_devices, closed.closed_by],
 *   [0.27, 2, 2, ["Soldier_Alpha"], "Operator"],
 * );
 * assertEquals(incidents.count, 1);
 * incidents.stop();
 * store.close();
 * ```
 */
export class IncidentLog {
  #store: KmsStore;
  #hub: EventHub;
  #audit: Auditor;
  #now: () => number;
  #open: Incident | null;
  #lastUpdate = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Restores the open incident, if any, from `store`. */
  constructor(store: KmsStore, hub: EventHub, options: IncidentLogOptions) {
    this.#store = store;
    this.#hub = hub;
    this.#audit = options.audit;
    this.#now = options.now ?? Date.now;
    const row = store.statement(
      `SELECT ${COLUMNS} FROM incidents WHERE closed_at IS NULL ORDER BY id DESC LIMIT 1`,
    ).get() as IncidentRow | undefined;
    this.#open = row ? incidentOf(row) : null;
  }

  /** Incidents since the first start (`attacks_detected`). */
  get count(): number {
    return this.#store.counter(ATTACKS_DETECTED);
  }

  /** The open incident, or null. */
  get current(): Incident | null {
    return this.#open && { ...this.#open };
  }

  /**
   * The link turned RED at a block of QBER `block.qber` (its first RED
   * block): opens an incident and counts it, unless one is open.
   */
  open(block: { qber: number; epoch: number }): Incident {
    if (this.#open) return this.#open;
    const at = this.#now();
    const id = this.#store.batch(() => {
      this.#store.addCounter(ATTACKS_DETECTED, 1);
      const { lastInsertRowid } = this.#store.statement(
        `INSERT INTO incidents (opened_at, peak_qber, first_qber, blocks, key_refusals, affected_devices, epoch)
         VALUES (?, ?, ?, 1, 0, '[]', ?)`,
      ).run(at, block.qber, block.qber, block.epoch);
      return Number(lastInsertRowid);
    });
    this.#open = {
      id,
      opened_at: at,
      closed_at: null,
      peak_qber: block.qber,
      first_qber: block.qber,
      blocks: 1,
      key_refusals: 0,
      affected_devices: [],
      closed_by: null,
      acknowledged_by: null,
      acknowledged_at: null,
      epoch: block.epoch,
    };
    this.#audit.record(
      "INCIDENT_OPENED",
      `incident=${id} epoch=${block.epoch} qber=${block.qber.toFixed(3)}`,
    );
    this.#publish();
    return this.#open;
  }

  /** A further block the link recorded while RED. */
  block(qber: number): void {
    const open = this.#open;
    if (!open) return;
    open.blocks++;
    open.peak_qber = Math.max(open.peak_qber, qber);
    this.#changed();
  }

  /** A key request of `device` refused because the link is RED. */
  refused(device: string): void {
    const open = this.#open;
    if (!open) return;
    open.key_refusals++;
    const devices = open.affected_devices;
    if (
      !devices.includes(device) && devices.length < MAX_AFFECTED_DEVICES
    ) {
      devices.push(device);
      devices.sort();
    }
    this.#changed();
  }

  /** A reset by `operator`: closes the open incident, if any. */
  close(operator: string): Incident | null {
    const open = this.#open;
    if (!open) return null;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    open.closed_at = this.#now();
    open.closed_by = operator;
    this.#open = null;
    this.#save(open);
    this.#audit.record(
      "INCIDENT_CLOSED",
      `incident=${open.id} by=${operator} blocks=${open.blocks} peak_qber=${
        open.peak_qber.toFixed(3)
      } key_refusals=${open.key_refusals} devices=${
        open.affected_devices.join(",") || "-"
      }`,
    );
    this.#hub.publish({ event: "incident", data: { ...open } });
    return open;
  }

  /**
   * Records that `operator` acknowledged incident `id` (audited
   * `ALERT_ACKNOWLEDGED` every time; the incident keeps the first
   * acknowledgement); undefined for no such incident.
   */
  acknowledge(id: number, operator: string): Incident | undefined {
    const incident = this.#open?.id === id ? this.#open : this.#read(id);
    if (!incident) return undefined;
    if (incident.acknowledged_by === null) {
      incident.acknowledged_by = operator;
      incident.acknowledged_at = this.#now();
      this.#save(incident);
    }
    this.#audit.record(
      "ALERT_ACKNOWLEDGED",
      `incident=${id} by=${operator}`,
    );
    this.#hub.publish({ event: "incident", data: { ...incident } });
    return { ...incident };
  }

  /** `/link_status`'s `incidents`: the open one and the last twenty. */
  snapshot(): LinkIncidents {
    const rows = this.#store.statement(
      `SELECT ${COLUMNS} FROM incidents ORDER BY id DESC LIMIT ?`,
    ).all(RECENT_INCIDENTS) as unknown as IncidentRow[];
    // The open one's latest figures are in memory (written once a second).
    const recent = rows.map((row) =>
      row.id === this.#open?.id ? { ...this.#open } : incidentOf(row)
    );
    return { open: this.current, recent };
  }

  /** Writes what is pending and stops the timer (shutdown). */
  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#open) this.#save(this.#open);
  }

  #read(id: number): Incident | undefined {
    const row = this.#store.statement(
      `SELECT ${COLUMNS} FROM incidents WHERE id = ?`,
    ).get(id) as IncidentRow | undefined;
    return row && incidentOf(row);
  }

  #save(incident: Incident): void {
    this.#store.statement(
      `UPDATE incidents SET closed_at = ?, peak_qber = ?, blocks = ?, key_refusals = ?,
         affected_devices = ?, closed_by = ?, acknowledged_by = ?, acknowledged_at = ?
       WHERE id = ?`,
    ).run(
      incident.closed_at,
      incident.peak_qber,
      incident.blocks,
      incident.key_refusals,
      JSON.stringify(incident.affected_devices),
      incident.closed_by,
      incident.acknowledged_by,
      incident.acknowledged_at,
      incident.id,
    );
  }

  // At most one write and event a second while open; the last change is
  // never left behind (a timer writes it).
  #changed(): void {
    if (this.#timer !== undefined) return;
    const wait = Math.min(
      INCIDENT_UPDATE_MS,
      this.#lastUpdate + INCIDENT_UPDATE_MS - this.#now(),
    );
    if (wait <= 0) return this.#publish();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#publish();
    }, wait);
  }

  #publish(): void {
    const open = this.#open;
    if (!open) return;
    this.#lastUpdate = this.#now();
    this.#save(open);
    this.#hub.publish({ event: "incident", data: { ...open } });
  }
}
