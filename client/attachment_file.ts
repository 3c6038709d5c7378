/**
 * Reading a file the soldier asked to send with `/file PATH`: only regular
 * files under the working directory (the client's read permission), never
 * through a link that leads outside it, and within the size limit.
 *
 * Checking the path before touching it matters: a read outside the
 * permission would make Deno prompt on the terminal, freezing the chat.
 * The real path (every link resolved) is checked and then read, never the
 * link: Deno checks its permissions on the path it is given, so a link
 * `mk.txt` to `data/kms/master.key` read as `mk.txt` would pass the
 * permission set's deny list (`data/`, `.git`), while the real path does
 * not. The file is opened once and its size taken from the open file.
 *
 * @module
 */

import { relative, resolve } from "../common/std.ts";
import { formatBytes } from "./format.ts";

/** Why a file cannot be sent, in words for the soldier. */
export class AttachmentError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "AttachmentError";
  }
}

/** A file ready to send. */
export interface OutgoingFile {
  /** Its base name, as the peer will see it. */
  name: string;
  /** Its bytes. */
  data: Uint8Array;
}

/**
 * Reads `path` (relative to `options.root`, default the working directory).
 *
 * @throws {AttachmentError} for a path outside the root, a directory, a
 * missing or unreadable file, or one over `options.maxBytes`.
 *
 * @example
 * ```ts ignore
 * import { assertEquals } from "@std/assert";
 * import { readAttachment } from "./attachment_file.ts";
 * const file = await readAttachment("docs/report.pdf", { maxBytes: 8 << 20 });
 * assertEquals(file.name, "report.pdf");
 * ```
 */
export async function readAttachment(
  path: string,
  options: { maxBytes: number; root?: string },
): Promise<OutgoingFile> {
  const root = options.root ?? Deno.cwd();
  const full = resolve(root, path);
  if (!inside(root, full)) {
    throw new AttachmentError(
      `only files under ${root} can be sent (the client may read nothing else)`,
    );
  }
  try {
    const real = await Deno.realPath(full);
    if (!inside(await Deno.realPath(root), real)) {
      throw new AttachmentError("it is a link to a place outside " + root);
    }
    using file = await Deno.open(real, { read: true });
    const info = await file.stat();
    if (!info.isFile) throw new AttachmentError("not a regular file");
    if (info.size > options.maxBytes) {
      throw new AttachmentError(
        `${formatBytes(info.size)} is over the ${
          formatBytes(options.maxBytes)
        } limit`,
      );
    }
    const data = await readAll(file, info.size);
    return { name: full.split(/[/\\]/).at(-1) || "file", data };
  } catch (error) {
    if (error instanceof AttachmentError) throw error;
    if (error instanceof Deno.errors.NotFound) {
      throw new AttachmentError("no such file");
    }
    if (error instanceof Deno.errors.NotCapable) {
      // The permission set keeps the KMS's data/ and .git out of reach.
      throw new AttachmentError("the client is not allowed to read it");
    }
    throw new AttachmentError((error as Error).message);
  }
}

// Reads `size` bytes (the size when opened: a file growing meanwhile is
// not read past it).
async function readAll(file: Deno.FsFile, size: number): Promise<Uint8Array> {
  const data = new Uint8Array(size);
  let offset = 0;
  while (offset < size) {
    const read = await file.read(data.subarray(offset));
    if (read === null) break;
    offset += read;
  }
  return data.subarray(0, offset);
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== "" && !rel.startsWith("..") && !rel.startsWith("/");
}
