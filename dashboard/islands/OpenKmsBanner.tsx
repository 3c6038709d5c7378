import { OpenKmsWarning } from "../components/OpenKmsWarning.tsx";
import { useLive } from "../live.ts";
import type { KmsAuth } from "../soc_state.ts";

/**
 * {@linkcode OpenKmsWarning}, live: it appears when the dashboard finds the
 * KMS in open mode (asked on every subscription, so after a KMS restart too).
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import OpenKmsBanner from "./OpenKmsBanner.tsx";
 *
 * assertStringIncludes(renderToString(<OpenKmsBanner initial="open" />), 'role="alert"');
 * ```
 */
export default function OpenKmsBanner(props: { initial: KmsAuth }) {
  return <OpenKmsWarning kmsAuth={useLive(props.initial, (s) => s.kmsAuth)} />;
}
