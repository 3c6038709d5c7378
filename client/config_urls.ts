/**
 * The client's checks of the KMS and relay addresses it is given.
 *
 * @module
 */

import { ConfigError } from "../common/cli.ts";

/**
 * Reads `--relay URL1,URL2,…` (or the start-up answer): the first relay,
 * and every one, in order, when there are several to fail over between.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { checkRelays } from "./config_urls.ts";
 * assertEquals(checkRelays("10.0.0.5:8765"), { relayUrl: "ws://10.0.0.5:8765" });
 * assertEquals(checkRelays("ws://a:8765, wss://b:8765"), {
 *   relayUrl: "ws://a:8765",
 *   relayUrls: ["ws://a:8765", "wss://b:8765"],
 * });
 * ```
 *
 * @throws {ConfigError} naming the URL that is not a ws:// or wss:// one.
 */
export function checkRelays(
  given: string,
): { relayUrl: string; relayUrls?: string[] } {
  const urls = given.split(",").map((url) => checkUrl(url.trim(), "ws"));
  return urls.length === 1
    ? { relayUrl: urls[0] }
    : { relayUrl: urls[0], relayUrls: urls };
}

/**
 * Reads a URL of `scheme` (or its TLS form); `host:port` alone gets the
 * scheme, and trailing slashes go.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { checkUrl } from "./config_urls.ts";
 * assertEquals(checkUrl("10.0.0.5:8000/", "http"), "http://10.0.0.5:8000");
 * ```
 *
 * @throws {ConfigError} for a text that is no such URL.
 */
export function checkUrl(given: string, scheme: "http" | "ws"): string {
  // host:port alone: the scheme is added.
  const text = /^[a-z][a-z\d+.-]*:\/\//i.test(given)
    ? given
    : `${scheme}://${given}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`"${text}" is not a URL`);
  }
  if (url.protocol !== `${scheme}:` && url.protocol !== `${scheme}s:`) {
    throw new ConfigError(
      `"${text}" must start with ${scheme}:// or ${scheme}s://`,
    );
  }
  return text.replace(/\/+$/, "");
}
