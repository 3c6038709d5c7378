import { assert, assertEquals } from "@std/assert";
import { subjectToken } from "./subject_token.ts";

// Every id over {a, _, .} up to length 6: the escaping must never map two
// ids to one token, and never produce a subject separator or `_relay`.
Deno.test("subject tokens are injective over ids of a, _ and . and never hold a dot", () => {
  const seen = new Map<string, string>();
  let ids = [""];
  for (let length = 1; length <= 6; length++) {
    ids = ids.flatMap((id) => ["a", "_", "."].map((c) => id + c));
    for (const id of ids) {
      const token = subjectToken(id);
      assert(!token.includes("."), token);
      assert(/^[A-Za-z0-9_-]+$/.test(token), token);
      assertEquals(seen.get(token), undefined, `${id} and ${seen.get(token)}`);
      seen.set(token, id);
    }
  }
  assertEquals(seen.size, 3 + 9 + 27 + 81 + 243 + 729);
  assertEquals(subjectToken("Soldier_Alpha"), "Soldier__Alpha");
});
