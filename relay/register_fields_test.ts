import { assertEquals } from "@std/assert";
import { readRegisterFields } from "./register_fields.ts";

Deno.test("readRegisterFields() reads optional strings and refuses anything else", () => {
  assertEquals(readRegisterFields('{"type":"register","device_id":"a"}'), {
    ok: true,
  });
  assertEquals(readRegisterFields('{"from":"a","resume":"ab12"}'), {
    ok: true,
    resume: "ab12",
  });
  for (const name of ["resume", "ticket", "proof"]) {
    for (const value of [1, null, ["ab"], { token: "ab" }]) {
      assertEquals(
        readRegisterFields(JSON.stringify({ device_id: "a", [name]: value })),
        { ok: false, message: `${name} must be a string` },
      );
    }
  }
});
