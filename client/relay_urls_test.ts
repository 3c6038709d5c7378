import { assertEquals, assertThrows } from "@std/assert";
import { backoffDelay } from "./backoff.ts";
import { RelayUrls } from "./relay_urls.ts";

const random = () => 0.999;

Deno.test("RelayUrls goes round the relays in order, on to the next at once", () => {
  const urls = new RelayUrls(["ws://a", "ws://b", "ws://c"], { random });
  const tried = [urls.current];
  const delays = [];
  for (let i = 0; i < 6; i++) {
    delays.push(urls.failed());
    tried.push(urls.current);
  }
  assertEquals(tried, [
    "ws://a",
    "ws://b",
    "ws://c",
    "ws://a",
    "ws://b",
    "ws://c",
    "ws://a",
  ]);
  // Within a round a hop of under 100 ms; after a whole round failed, the
  // backoff, longer after each round.
  assertEquals(delays, [
    99,
    99,
    backoffDelay(0, { random }),
    99,
    99,
    backoffDelay(1, { random }),
  ]);
  assertEquals(urls.all, ["ws://a", "ws://b", "ws://c"]);
});

Deno.test("RelayUrls starts a new round from the relay it was up on", () => {
  const urls = new RelayUrls(["ws://a", "ws://b"], { random });
  urls.failed();
  urls.failed();
  urls.failed();
  assertEquals(urls.current, "ws://b");
  urls.up();
  assertEquals(urls.failed(), 99);
  assertEquals(urls.current, "ws://a");
  assertEquals(urls.failed(), backoffDelay(0, { random }));
});

Deno.test("RelayUrls with one relay is the plain backoff", () => {
  const options = { initialMs: 20, maxMs: 100, random };
  const urls = new RelayUrls(["ws://a"], options);
  const delays = [urls.failed(), urls.failed(), urls.failed(), urls.failed()];
  assertEquals(delays, [0, 1, 2, 3].map((n) => backoffDelay(n, options)));
  assertEquals(urls.current, "ws://a");
  urls.up();
  assertEquals(urls.failed(), backoffDelay(0, options));
});

Deno.test("RelayUrls needs a relay", () => {
  assertThrows(() => new RelayUrls([]), RangeError);
});
