/**
 * `deno task dashboard:build`: writes `fresh.gen.ts` and bundles the islands
 * into `static/islands/`, printing each island's JavaScript size.
 *
 * @module
 */

import { build } from "./_fresh/build.ts";

if (import.meta.main) await build({ root: new URL("./", import.meta.url) });
