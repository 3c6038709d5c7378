/**
 * Test helper: a database file in a fresh temporary folder (SQLite's WAL
 * files go beside it), removed with the folder afterwards.
 *
 * @module
 */

/** Runs `fn` with the path of a database file that does not exist yet. */
export async function withDatabaseFile(
  fn: (path: string) => Promise<void> | void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "qstcs-kms-db-" });
  try {
    await fn(`${dir}/kms.db`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
