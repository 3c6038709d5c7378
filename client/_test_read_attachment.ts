/**
 * Test helper: reads the attachment named on the command line as `/file`
 * would and prints `sent N bytes` or `refused: why`. Run with the client's
 * permission set, so its deny list (`data/`, `.git`) applies.
 *
 * @module
 */

import { AttachmentError, readAttachment } from "./attachment_file.ts";

if (import.meta.main) {
  try {
    const file = await readAttachment(Deno.args[0], { maxBytes: 1 << 20 });
    console.log(`sent ${file.data.length} bytes`);
  } catch (error) {
    if (!(error instanceof AttachmentError)) throw error;
    console.log(`refused: ${error.message}`);
  }
}
