import { assertEquals } from "@std/assert";
import { BoundedMap, BoundedSet } from "./bounded.ts";

Deno.test("BoundedMap forgets the least recently set entries", () => {
  const map = new BoundedMap<string, number>({ max: 2 });
  map.set("a", 1).set("b", 2).set("a", 3).set("c", 4);
  assertEquals([...map], [["a", 3], ["c", 4]]);
});

Deno.test("BoundedSet forgets the least recently added members", () => {
  const set = new BoundedSet<number>({ max: 3 });
  for (const n of [1, 2, 3, 1, 4]) set.add(n);
  assertEquals([...set], [3, 1, 4]);
});
