import { assertEquals } from "@std/assert";
import {
  BROADCAST,
  isDeviceId,
  isRecipient,
  isShortId,
  MAX_ID_LENGTH,
} from "./types.ts";

Deno.test("isDeviceId() accepts 1 to 64 of A-Z a-z 0-9 _ . -", () => {
  for (const id of ["a", "Soldier_Alpha", "node-7.local", "a".repeat(64)]) {
    assertEquals(isDeviceId(id), true, id);
  }
});

Deno.test("isDeviceId() refuses anything else", () => {
  const refused = [
    "",
    "a".repeat(65),
    "*",
    "Soldier Alpha",
    "a/b",
    "Söldner",
    "alpha\n",
    "\nalpha",
    42,
    null,
    undefined,
    ["alpha"],
    { toString: () => "alpha" },
  ];
  for (const value of refused) {
    assertEquals(isDeviceId(value), false, String(value));
  }
});

Deno.test("isRecipient() accepts device ids and the broadcast address only", () => {
  assertEquals(isRecipient("Soldier_Bravo"), true);
  assertEquals(isRecipient(BROADCAST), true);
  for (const value of ["**", "", "a b", null, 1]) {
    assertEquals(isRecipient(value), false, String(value));
  }
});

Deno.test("isShortId() accepts strings of 1 to MAX_ID_LENGTH characters", () => {
  assertEquals(isShortId("k"), true);
  assertEquals(isShortId("k".repeat(MAX_ID_LENGTH)), true);
  assertEquals(isShortId(""), false);
  assertEquals(isShortId("k".repeat(MAX_ID_LENGTH + 1)), false);
  assertEquals(isShortId(7), false);
});
