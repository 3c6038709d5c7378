import { RowList } from "../components/RowList.tsx";
import { useLive } from "../live.ts";
import { settingsRows } from "../link_views.ts";
import type { LinkSettingsReport } from "../../protocol/link_report.ts";

/**
 * The simulated link's settings, as the KMS's flags set them.
 *
 * @example
 * ```tsx
 * import { assertStringIncludes } from "@std/assert";
 * import { renderToString } from "preact-render-to-string";
 * import LinkSettings from "./LinkSettings.tsx";
 * import { SAMPLE_LINK_REPORT } from "../../protocol/_test_link_report.ts";
 *
 * const html = renderToString(<LinkSettings initial={SAMPLE_LINK_REPORT.settings} />);
 * assertStringIncludes(html, "<dt>Fibre length</dt><dd>25 km</dd>");
 * assertStringIncludes(html, "classical simulation");
 * ```
 */
export default function LinkSettings(
  props: { initial: LinkSettingsReport | null },
) {
  const settings = useLive(
    props.initial,
    (state) => state.link?.settings ?? null,
  );
  return (
    <div class="qlink-settings" data-testid="link-settings">
      <p class="qlink-note">
        A classical simulation of a decoy-state BB84 fibre link: no photons,
        fibre or detectors, only the model's parameters.
      </p>
      {settings
        ? <RowList rows={settingsRows(settings)} />
        : <p class="qlink-note">No link report from the KMS yet.</p>}
    </div>
  );
}
