/**
 * Shows a named permission set of deno.json as the flags it stands for, so
 * the demo can print what each process may do.
 *
 * @module
 */

type PermissionValue = boolean | string[];

/**
 * The flags of permission set `name` in the deno.json text `config`.
 *
 * @example
 * ```ts
 * import { permissionFlags } from "./permissions.ts";
 * const config = JSON.stringify({ permissions: { relay: { net: ["0.0.0.0:8765"] } } });
 * console.log(permissionFlags(config, "relay")); // --allow-net=0.0.0.0:8765
 * ```
 */
export function permissionFlags(config: string, name: string): string {
  const sets = JSON.parse(config).permissions as Record<
    string,
    Record<string, PermissionValue>
  >;
  const set = sets?.[name];
  if (!set) throw new Error(`deno.json has no permission set "${name}"`);
  const flags: string[] = [];
  for (const [kind, value] of Object.entries(set)) {
    if (value === true) flags.push(`--allow-${kind}`);
    else if (Array.isArray(value)) {
      flags.push(`--allow-${kind}=${value.join(",")}`);
    }
  }
  return flags.join(" ");
}
