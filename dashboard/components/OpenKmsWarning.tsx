import type { KmsAuth } from "../soc_state.ts";

/**
 * The loud warning for a KMS started with `--open` (the seeds' mode):
 * nothing when the KMS requires tokens or has not said.
 *
 * @example
 * ```tsx
 * import { assertEquals, assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import { OpenKmsWarning } from "./OpenKmsWarning.tsx";
 *
 * assertStringIncludes(renderToString(<OpenKmsWarning kmsAuth="open" />), "KMS IN OPEN MODE");
 * assertEquals(renderToString(<OpenKmsWarning kmsAuth="required" />), "");
 * ```
 */
export function OpenKmsWarning(props: { kmsAuth: KmsAuth }) {
  if (props.kmsAuth !== "open") return null;
  return (
    <p class="open-kms" role="alert" data-testid="open-kms">
      <strong>⚠ KMS IN OPEN MODE (--open)</strong>
      <span>
        It asks no tokens: anyone on this network can fetch the soldiers' pair
        keys, force an attack or reset the link. Restart the KMS without --open
        and enroll the devices.
      </span>
    </p>
  );
}
