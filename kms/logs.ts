/**
 * `deno task logs [--follow]`: prints the KMS audit log from SQLite, and with
 * `--follow` keeps printing new entries.
 *
 * @module
 */

import { parseArgs } from "../common/std.ts";
import { DATABASE_FILE } from "./context.ts";
import { formatAuditEntry } from "./audit.ts";
import type { AuditEntry } from "../protocol/mod.ts";
import { KmsStore } from "./store.ts";

const USAGE =
  `Usage: deno task logs [--follow] [--tag TAG] [--last N] [--data DIR]

  --follow   keep printing new entries
  --tag TAG  only entries with this tag (e.g. KEY_ISSUED, ATTACK_DETECTED)
  --last N   start with the last N entries (default 50)`;

async function main(): Promise<number> {
  const flags = parseArgs(Deno.args, {
    string: ["data", "tag", "last"],
    boolean: ["follow", "help"],
  });
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  const dataDir = flags.data ?? Deno.env.get("KMS_DATA") ?? "data/kms";
  const last = Number(flags.last ?? 50);
  if (!Number.isSafeInteger(last) || last < 0) {
    console.error(`--last must be a whole number\n${USAGE}`);
    return 2;
  }
  try {
    await Deno.stat(`${dataDir}/${DATABASE_FILE}`);
  } catch {
    console.error(
      `no KMS database in ${dataDir}/ (start the KMS first, or pass --data)`,
    );
    return 1;
  }
  const store = new KmsStore(`${dataDir}/${DATABASE_FILE}`);
  const show = (entries: AuditEntry[]) => {
    for (const e of entries) {
      if (!flags.tag || e.tag === flags.tag) console.log(formatAuditEntry(e));
    }
  };
  const recent = store.recentAudit(last);
  show(recent);
  let after = recent.at(-1)?.id ?? 0;
  while (flags.follow) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    const entries = store.auditSince(after);
    show(entries);
    after = entries.at(-1)?.id ?? after;
  }
  store.close();
  return 0;
}

if (import.meta.main) Deno.exit(await main());
