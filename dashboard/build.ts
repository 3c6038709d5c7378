/**
 * `deno task dashboard:build`: bundles the islands into `static/islands/`,
 * printing each island's JavaScript size.
 *
 * @module
 */

import { build } from "./_fresh/build.ts";
import { site } from "./site.ts";

if (import.meta.main) await build(site);
