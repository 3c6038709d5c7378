/**
 * Shows a named permission set of deno.json as the flags it stands for, so
 * the demo can print what each process may do.
 *
 * @module
 */

type PermissionValue = boolean | string[];

/** Flags given on the command line next to `-P=name`. */
export interface PermissionOverrides {
  /**
   * `--allow-net=...`: Deno lets it replace the set's network list, which
   * the demo does for hosts and ports other than the set's.
   */
  net?: string[];
  /** `--allow-read=...`, in place of the set's read list. */
  read?: string[];
}

/**
 * The flags of permission set `name` in the deno.json text `config`, with
 * `overrides` in place of the set's own lists: the flags the process really
 * runs with.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { permissionFlags } from "./permissions.ts";
 *
 * const config = JSON.stringify({ permissions: { relay: { net: ["0.0.0.0:8765"] } } });
 * assertEquals(permissionFlags(config, "relay"), "--allow-net=0.0.0.0:8765");
 * assertEquals(
 *   permissionFlags(config, "relay", { net: ["127.0.0.1:9000"] }),
 *   "--allow-net=127.0.0.1:9000",
 * );
 * ```
 */
export function permissionFlags(
  config: string,
  name: string,
  overrides: PermissionOverrides = {},
): string {
  const sets = JSON.parse(config).permissions as Record<
    string,
    Record<string, PermissionValue>
  >;
  const set = sets?.[name];
  if (!set) throw new Error(`deno.json has no permission set "${name}"`);
  const effective: Record<string, PermissionValue> = { ...set };
  if (overrides.net) effective.net = overrides.net;
  if (overrides.read) effective.read = overrides.read;
  const flags: string[] = [];
  for (const [kind, value] of Object.entries(effective)) {
    if (value === true) flags.push(`--allow-${kind}`);
    else if (Array.isArray(value)) {
      flags.push(`--allow-${kind}=${value.join(",")}`);
    }
  }
  return flags.join(" ");
}

/**
 * The paths permission set `name` grants for `kind` (`read`, `write`, ...)
 * in the deno.json text `config`: what an override must repeat to add one.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { permissionList } from "./permissions.ts";
 *
 * const config = JSON.stringify({ permissions: { relay: { read: ["./a"], net: true } } });
 * assertEquals(permissionList(config, "relay", "read"), ["./a"]);
 * assertEquals(permissionList(config, "relay", "write"), []);
 * ```
 */
export function permissionList(
  config: string,
  name: string,
  kind: string,
): string[] {
  const value = JSON.parse(config).permissions?.[name]?.[kind];
  return Array.isArray(value) ? value : [];
}
