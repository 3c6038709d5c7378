/**
 * What every service's command line shares: the operator-facing
 * {@linkcode ConfigError}, strict port and URL parsing, and
 * {@linkcode runService}, which turns `--help` and a bad setting into the
 * usage text or one line and exit code 2.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { ConfigError, parsePort } from "./cli.ts";
 *
 * assertEquals(parsePort("9000", { name: "--port" }), 9000);
 * assertThrows(() => parsePort("0x1F40", { name: "--port" }), ConfigError);
 * ```
 *
 * @module
 */

/** A bad flag, variable or answer, with a message for the operator. */
export class ConfigError extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

/**
 * Parses a TCP port: decimal digits only, 0 to 65535 (0 asks the system for
 * a free one). `Number()` alone would take `0x1F40`, `1e3` and `""`.
 *
 * @throws {ConfigError} naming `options.name` for anything else.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parsePort } from "./cli.ts";
 *
 * assertEquals(parsePort("0", { name: "--port" }), 0);
 * assertThrows(() => parsePort("", { name: "--port" }), Error, "--port must be 0..65535");
 * assertThrows(() => parsePort("65536", { name: "--port" }));
 * ```
 */
export function parsePort(text: string, options: { name: string }): number {
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port > 65535) {
    throw new ConfigError(`${options.name} must be 0..65535, got "${text}"`);
  }
  return port;
}

/**
 * Parses an absolute URL with one of `options.protocols`, and returns it
 * without a trailing slash (so paths can be appended).
 *
 * @throws {ConfigError} naming `options.name` when it is not such a URL.
 *
 * @example
 * ```ts
 * import { assertEquals, assertThrows } from "@std/assert";
 * import { parseUrl } from "./cli.ts";
 *
 * const http = { name: "--kms", protocols: ["http:", "https:"] };
 * assertEquals(parseUrl("http://10.0.0.5:8000/", http), "http://10.0.0.5:8000");
 * assertThrows(() => parseUrl("ws://10.0.0.5", http), Error, "--kms must be http or https");
 * assertThrows(() => parseUrl("10.0.0.5", http), Error, "--kms must be a URL");
 * ```
 */
export function parseUrl(
  text: string,
  options: { name: string; protocols: readonly string[] },
): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`${options.name} must be a URL, got ${text}`);
  }
  if (!options.protocols.includes(url.protocol)) {
    const names = options.protocols.map((p) => p.replace(/:$/, ""));
    throw new ConfigError(
      `${options.name} must be ${names.join(" or ")}, got ${text}`,
    );
  }
  return url.href.replace(/\/+$/, "");
}

/** A service's command line: its log tag, `--help` text and settings parser. */
export interface ServiceCommand<C> {
  /** The log tag, e.g. `KMS` for `[KMS] ...` lines. */
  tag: string;
  /** The `--help` text. */
  usage: string;
  /** Reads the settings from the command line and an environment lookup. */
  parse: (args: string[], env: (name: string) => string | undefined) => C;
}

/**
 * A service's `main()` over `Deno.args`: prints the usage for `--help`; a
 * {@linkcode ConfigError} from `command.parse`, or from the service before it
 * serves (a permission it lacks, a file it cannot use), prints one
 * `[TAG] message` line on stderr and exits with 2; otherwise runs the
 * service with its settings.
 *
 * @example
 * ```ts ignore
 * if (import.meta.main) await runService(KMS_COMMAND, serveKms);
 * ```
 */
export async function runService<C>(
  command: ServiceCommand<C>,
  run: (config: C) => Promise<void>,
): Promise<void> {
  if (Deno.args.includes("--help")) {
    console.log(command.usage);
    return;
  }
  try {
    await run(command.parse(Deno.args, (name) => Deno.env.get(name)));
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`[${command.tag}] ${error.message}`);
    Deno.exit(2);
  }
}
