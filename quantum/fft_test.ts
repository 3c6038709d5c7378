import { assertEquals, assertThrows } from "@std/assert";
import { convolveBits } from "./fft.ts";
import { Xoshiro128 } from "./random.ts";

Deno.test("convolveBits equals the schoolbook cyclic convolution", () => {
  const rng = new Xoshiro128();
  for (let log = 0; log <= 10; log++) {
    const n = 1 << log;
    const a = Float64Array.from({ length: n }, () => rng.below(2));
    const b = Float64Array.from({ length: n }, () => rng.below(2));
    const expected = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) expected[(i + j) % n] += a[i] * b[j];
    }
    assertEquals(convolveBits(a, b), expected, `n=${n}`);
  }
});

Deno.test("convolveBits refuses lengths it cannot transform", () => {
  for (const [m, n] of [[3, 3], [4, 8]]) {
    assertThrows(
      () => convolveBits(new Float64Array(m), new Float64Array(n)),
      RangeError,
    );
  }
});
