import { assert, assertEquals } from "@std/assert";
import {
  encryptPacket,
  importPacketKey,
  MAX_ID_LENGTH,
} from "../protocol/mod.ts";
import { CHUNK_BYTES, Reassembler, splitChunks } from "./attachments.ts";
import { encodePayload, type FileChunk } from "./payload.ts";

function chunksOf(data: Uint8Array, name = "a.bin"): FileChunk[] {
  const parts = splitChunks(data);
  return parts.map((part, chunk) => ({
    t: "file",
    mid: "m-1",
    name,
    chunk,
    chunks: parts.length,
    data: part.toBase64(),
  }));
}

Deno.test("splitChunks covers the file; an empty file is one chunk", () => {
  const data = crypto.getRandomValues(new Uint8Array(2 * CHUNK_BYTES + 5));
  const parts = splitChunks(data);
  assertEquals(parts.map((p) => p.length), [CHUNK_BYTES, CHUNK_BYTES, 5]);
  assertEquals(splitChunks(new Uint8Array(0)).map((p) => p.length), [0]);
});

Deno.test("a full chunk packet stays well under the relay's 64 KiB frames", async () => {
  const key = await importPacketKey(new Uint8Array(32));
  const [chunk] = chunksOf(new Uint8Array(CHUNK_BYTES), "n".repeat(255));
  const packet = await encryptPacket(key, encodePayload(chunk), {
    sender: "S".repeat(64),
    recipient: "R".repeat(64),
    keyId: "k".repeat(MAX_ID_LENGTH),
    seq: Number.MAX_SAFE_INTEGER,
  });
  const frameBytes = new TextEncoder().encode(JSON.stringify(packet)).length;
  assert(frameBytes < 48 * 1024, `${frameBytes} bytes`);
});

Deno.test("chunks in any order, repeated, make the file once", () => {
  const data = crypto.getRandomValues(new Uint8Array(3 * CHUNK_BYTES));
  const chunks = chunksOf(data);
  const files = new Reassembler();
  assertEquals(files.add("A", chunks[2]).status, "partial");
  assertEquals(files.add("A", chunks[0]).status, "partial");
  assertEquals(files.add("A", chunks[2]).status, "partial");
  const outcome = files.add("A", chunks[1]);
  assertEquals(outcome, { status: "complete", name: "a.bin", data });
  // The same id from another sender is another transfer.
  assertEquals(files.add("B", chunks[0]).status, "partial");
});

Deno.test("files over the limit or inconsistent chunks are rejected", () => {
  const files = new Reassembler({ maxFileBytes: CHUNK_BYTES + 10 });
  const big = chunksOf(new Uint8Array(3 * CHUNK_BYTES));
  assertEquals(files.add("A", big[0]).status, "rejected");
  const near = chunksOf(new Uint8Array(2 * CHUNK_BYTES));
  assertEquals(files.add("A", near[0]).status, "partial");
  assertEquals(files.add("A", near[1]).status, "rejected");
  const mixed = chunksOf(new Uint8Array(2 * CHUNK_BYTES));
  assertEquals(new Reassembler().add("A", mixed[0]).status, "partial");
  const reassembler = new Reassembler();
  reassembler.add("A", mixed[0]);
  assertEquals(
    reassembler.add("A", { ...mixed[1], name: "other.bin" }).status,
    "rejected",
  );
  assertEquals(
    new Reassembler().add("A", { ...mixed[0], data: "A" }).status,
    "rejected",
  );
  assertEquals(
    new Reassembler({ chunkBytes: 4 }).add("A", {
      ...mixed[0],
      chunks: 1,
    }).status,
    "rejected",
  );
});
