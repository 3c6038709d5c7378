/**
 * A service checks, before it starts, that its permission set lets it reach
 * every address its flags name: a `--port` or `--kms` outside the set would
 * otherwise fail deep inside with `NotCapable` and a stack trace. The
 * refusal is one {@linkcode ConfigError} line that says what to run.
 *
 * @module
 */

import { ConfigError } from "./cli.ts";

/** How the service is started, for the command line the refusal suggests. */
export interface NetPermissionOptions {
  /** The permission set of `deno.json` the task uses, e.g. `kms`. */
  set: string;
  /** The entry module, e.g. `kms/main.ts`. */
  entry: string;
  /** The service's own arguments. Default `Deno.args`. */
  args?: readonly string[];
  /**
   * Addresses the service may need later (not checked now), named in the
   * suggested `--allow-net` too, since that flag replaces the set's list.
   */
  also?: readonly string[];
}

/**
 * Throws a {@linkcode ConfigError} unless the process may use every
 * `host:port` in `addresses` (listen or connect: Deno checks both as `net`).
 * An `--allow-net` flag replaces the set's list, so the suggested command
 * names all of them.
 *
 * @example
 * ```ts
 * import { requireNet } from "./net_permission.ts";
 *
 * // The doc tests run with the "test" set, which allows any address; a
 * // service under its own set refuses (common/net_permission_test.ts).
 * await requireNet(["127.0.0.1:9"], { set: "test", entry: "x.ts", args: [] });
 * ```
 */
export async function requireNet(
  addresses: readonly string[],
  options: NetPermissionOptions,
): Promise<void> {
  const missing: string[] = [];
  for (const host of addresses) {
    const status = await Deno.permissions.query({ name: "net", host });
    if (status.state !== "granted") missing.push(host);
  }
  if (missing.length === 0) return;
  const args = options.args ?? Deno.args;
  const allow = [...new Set([...addresses, ...options.also ?? []])];
  throw new ConfigError(
    `the "${options.set}" permission set does not allow ${
      missing.join(", ")
    }; run: deno run -P=${options.set} --allow-net=${
      allow.join(",")
    } ${options.entry} ${args.join(" ")}`.trimEnd(),
  );
}

/**
 * The `host:port` a URL connects to, for {@linkcode requireNet}.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { urlAddress } from "./net_permission.ts";
 *
 * assertEquals(urlAddress("http://10.0.0.5:8000/x"), "10.0.0.5:8000");
 * assertEquals(urlAddress("https://kms.example"), "kms.example:443");
 * ```
 */
export function urlAddress(url: string): string {
  const { hostname, port, protocol } = new URL(url);
  const defaultPort = protocol === "https:" || protocol === "wss:" ? 443 : 80;
  return `${hostname}:${port || defaultPort}`;
}
