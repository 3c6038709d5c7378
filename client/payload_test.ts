import { assertEquals, assertThrows } from "@std/assert";
import {
  KEM_CIPHERTEXT_LENGTH,
  KEM_PUBLIC_KEY_LENGTH,
} from "../protocol/mod.ts";
import {
  type ChatPayload,
  decodePayload,
  encodePayload,
  isHandshake,
  PayloadError,
} from "./payload.ts";

const encoder = new TextEncoder();

Deno.test("every kind survives encoding and decoding", () => {
  const payloads: ChatPayload[] = [
    { t: "kem_offer", pk: new Uint8Array(KEM_PUBLIC_KEY_LENGTH).toBase64() },
    { t: "kem_reply", ct: new Uint8Array(KEM_CIPHERTEXT_LENGTH).toBase64() },
    { t: "msg", mid: "m-1", text: "Hold position ✓" },
    { t: "file", mid: "m-2", name: "a.txt", chunk: 1, chunks: 2, data: "aGk=" },
    {
      t: "file",
      mid: "m-3",
      name: "voice.wav",
      chunk: 0,
      chunks: 1,
      data: "aGk=",
      voice: 7,
    },
    { t: "receipt", mid: "m-1" },
    { t: "receipt", mid: "m-2", refused: "larger than the limit" },
  ];
  for (const payload of payloads) {
    assertEquals(decodePayload(encodePayload(payload)), payload);
  }
});

Deno.test("unknown fields are dropped", () => {
  const bytes = encoder.encode('{"t":"receipt","mid":"m","extra":1}');
  assertEquals(decodePayload(bytes), { t: "receipt", mid: "m" });
});

Deno.test("malformed plaintext is refused with PayloadError", () => {
  const bad = [
    "not json",
    "[1]",
    '{"t":"hello"}',
    '{"t":"msg","mid":"m"}',
    '{"t":"msg","mid":"","text":"x"}',
    `{"t":"msg","mid":"${"m".repeat(65)}","text":"x"}`,
    '{"t":"receipt","mid":"m","refused":""}',
    '{"t":"receipt","mid":"m","refused":7}',
    '{"t":"kem_offer","pk":"AAAA"}',
    '{"t":"kem_reply","ct":"!!"}',
    '{"t":"file","mid":"m","name":"a","chunk":2,"chunks":2,"data":""}',
    '{"t":"file","mid":"m","name":"a","chunk":0,"chunks":0,"data":""}',
    '{"t":"file","mid":"m","name":"","chunk":0,"chunks":1,"data":""}',
    '{"t":"file","mid":"m","name":"a","chunk":0,"chunks":1,"data":"%%"}',
    '{"t":"file","mid":"m","name":"a","chunk":0,"chunks":1,"data":"","voice":-1}',
    '{"t":"file","mid":"m","name":"a","chunk":0,"chunks":1,"data":"","voice":1.5}',
  ];
  for (const text of bad) {
    assertThrows(() => decodePayload(encoder.encode(text)), PayloadError);
  }
  assertThrows(() => decodePayload(new Uint8Array([0xff])), PayloadError);
});

Deno.test("isHandshake tells handshake kinds from content", () => {
  assertEquals(isHandshake({ t: "kem_reply", ct: "" }), true);
  assertEquals(isHandshake({ t: "msg", mid: "m", text: "" }), false);
});
