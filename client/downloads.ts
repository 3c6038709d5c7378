/**
 * Saving received attachments under `downloads/<sender>/`: the names come
 * from the peer, so they are reduced to a safe base name, and an existing
 * file is never overwritten.
 *
 * @module
 */

/** Folder, relative to the working directory, that attachments go to. */
export const DOWNLOADS_DIR = "downloads";

const MAX_NAME_CHARS = 100;
// Anything but letters, digits, marks and a few harmless punctuation marks
// (this also removes control, format and bidirectional-override characters).
const UNSAFE = /[^\p{L}\p{M}\p{N} ._()+-]+/gu;
const MAX_COPIES = 1000;

/**
 * Reduces a name from the network to a safe file name: its last path
 * segment, with unsafe characters replaced by `_`, no leading dots, at most
 * 100 characters (the extension kept). An empty result becomes `fallback`.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { safeFileName } from "./downloads.ts";
 * assertEquals(safeFileName("../../etc/passwd"), "passwd");
 * assertEquals(safeFileName("..", { fallback: "device" }), "device");
 * assertEquals(safeFileName("a\u202Egpj.exe"), "a_gpj.exe");
 * ```
 */
export function safeFileName(
  name: string,
  options: { fallback?: string } = {},
): string {
  const base = name.normalize("NFC").split(/[/\\]/).at(-1) ?? "";
  let safe = base.replace(UNSAFE, "_").replace(/^[.\s]+/, "").replace(
    /[.\s]+$/,
    "",
  );
  if (safe.length > MAX_NAME_CHARS) {
    const dot = safe.lastIndexOf(".");
    const extension = dot > 0 && safe.length - dot <= 16 ? safe.slice(dot) : "";
    safe = safe.slice(0, MAX_NAME_CHARS - extension.length) + extension;
  }
  return safe.length > 0 ? safe : options.fallback ?? "file";
}

/** Options for {@linkcode saveDownload}. */
export interface SaveOptions {
  /** Device that sent the file: the sub-folder. */
  sender: string;
  /** The name the sender gave (sanitised here). */
  name: string;
  /** Root folder. Default {@linkcode DOWNLOADS_DIR}. */
  dir?: string;
}

/**
 * Writes `data` to `<dir>/<sender>/<name>`, or `<name> (1)` and so on if
 * that exists, and returns the path written.
 *
 * @example
 * ```ts ignore
 * import { saveDownload } from "./downloads.ts";
 * const path = await saveDownload(new TextEncoder().encode("hi"), {
 *   sender: "Soldier_Alpha",
 *   name: "note.txt",
 * });
 * assertEquals(path, "downloads/Soldier_Alpha/note.txt");
 * ```
 */
export async function saveDownload(
  data: Uint8Array,
  options: SaveOptions,
): Promise<string> {
  const folder = `${options.dir ?? DOWNLOADS_DIR}/${
    safeFileName(options.sender, { fallback: "device" })
  }`;
  await Deno.mkdir(folder, { recursive: true });
  const name = safeFileName(options.name);
  const dot = name.lastIndexOf(".");
  const [stem, extension] = dot > 0
    ? [name.slice(0, dot), name.slice(dot)]
    : [name, ""];
  for (let copy = 0; copy < MAX_COPIES; copy++) {
    const path = `${folder}/${
      copy === 0 ? name : `${stem} (${copy})${extension}`
    }`;
    let file: Deno.FsFile;
    try {
      // createNew fails if the file exists, so a name is never reused even
      // when two saves race.
      // 0600: what a peer sent is for this soldier only.
      file = await Deno.open(path, {
        write: true,
        createNew: true,
        mode: 0o600,
      });
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw error;
    }
    try {
      for (let offset = 0; offset < data.length;) {
        offset += await file.write(data.subarray(offset));
      }
    } finally {
      file.close();
    }
    return path;
  }
  throw new Error(`too many files named ${name} in ${folder}`);
}
