/**
 * Test helper: headless Chromium (driven by playwright-core) for the
 * dashboard's browser tests, a page that collects script errors, its
 * screenshots under test_artifacts/dashboard/, and an axe-core scan.
 *
 * @module
 */

import { assertEquals } from "@std/assert";
import type { Browser, Page } from "playwright-core";
import { PROJECT_ROOT } from "../common/service_process.ts";

/** The Debian package's Chromium, which the tests drive. */
export const CHROMIUM = "/usr/bin/chromium";
/** Where screenshots go (kept by CI as artefacts). */
export const ARTIFACTS = `${PROJECT_ROOT}test_artifacts/dashboard`;
// Generous for a loaded two-core machine; the 2 s deadline below is the
// requirement itself.
export const WAIT_MS = 15_000;

/** Whether Chromium is installed; the browser tests skip without it (and fail in CI). */
export const haveChromium = await Deno.stat(CHROMIUM).then(
  () => true,
  () => false,
);
if (!haveChromium) {
  const reason =
    `${CHROMIUM} is missing (.ci/run installs the Debian package chromium)`;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`dashboard browser tests cannot run: ${reason}`);
  }
  console.warn(
    `\n*** SKIPPING the dashboard browser tests: ${reason} ***\n`,
  );
}

/** Starts headless Chromium, kept off the network beyond loopback. */
export async function launch(): Promise<Browser> {
  // playwright-core probes /proc/sys/fs/binfmt_misc/WSLInterop as it loads
  // (its bundled is-wsl), and Deno lets only --allow-all read there, which
  // -P=test is not. is-wsl's own hook defers that probe; its answer matters
  // only for opening URLs in a desktop browser, which the tests never do.
  Deno.env.set("__IS_WSL_TEST__", "1");
  const { chromium } = await import("playwright-core");
  return await chromium.launch({
    executablePath: CHROMIUM,
    // Without the background-networking flags Chromium keeps calling home,
    // which floods a closed network.
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** A full-page screenshot as `ARTIFACTS/NAME.png`. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });
}

/** The status banner while it shows `status`. */
export function banner(page: Page, status: string) {
  return page.locator(`[data-testid="link-status"][data-status="${status}"]`);
}

/** Fills and posts the login form. */
export async function logInAs(page: Page, name: string, token: string) {
  await page.getByLabel("Operator name").fill(name);
  await page.getByLabel("Token").fill(token);
  await page.getByTestId("login").click();
}

/**
 * A page of `viewport` (default 1400×1000) whose script errors and console
 * errors (but the expected 401/403s) go to `problems`.
 */
export async function newPage(
  browser: Browser,
  problems: string[],
  options: { viewport?: { width: number; height: number } } = {},
): Promise<Page> {
  const page = await browser.newPage({
    viewport: options.viewport ?? { width: 1400, height: 1000 },
  });
  page.setDefaultTimeout(WAIT_MS);
  page.on("pageerror", (error) => problems.push(`page: ${error.message}`));
  page.on("console", (message) => {
    // The refused login and the refused POST below log their 401/403.
    if (
      message.type() === "error" &&
      !/status of 40[13]/.test(message.text())
    ) {
      problems.push(`console: ${message.text()}`);
    }
  });
  return page;
}

/**
 * `promise`, or an error naming `what` after 60 s: `page.evaluate` has no
 * timeout of its own, and a test that fails says more than one that hangs.
 */
async function withDeadline<T>(what: string, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) =>
        timer = setTimeout(
          () => reject(new Error(`${what} did not finish in 60 s`)),
          60_000,
        )
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** An axe-core violation, as the scan reports it. */
export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; failureSummary?: string }[];
}

/**
 * Runs axe-core (WCAG 2 A and AA rules) on the page as it is now; the
 * violations, or none.
 */
export async function axeScan(page: Page): Promise<AxeViolation[]> {
  const { default: axe } = await import("axe-core");
  // Evaluated over the DevTools protocol, which the page's CSP (scripts from
  // 'self' only) does not govern, as a script tag would be.
  await page.evaluate(axe.source);
  return await withDeadline(
    "the axe-core scan",
    page.evaluate(async () => {
      // The page's globals: axe (just evaluated) and its document.
      // deno-lint-ignore no-explicit-any
      const scope = globalThis as any;
      const result = await scope.axe.run(
        scope.document,
        {
          runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21aa"] },
        },
      );
      // deno-lint-ignore no-explicit-any
      return result.violations.map((v: any) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        // deno-lint-ignore no-explicit-any
        nodes: v.nodes.slice(0, 5).map((n: any) => ({
          target: n.target,
          failureSummary: n.failureSummary,
        })),
      }));
    }),
  );
}

/** Fails with axe's findings of the rules the issue names. */
export function assertAccessible(
  violations: Awaited<ReturnType<typeof axeScan>>,
) {
  const found = violations.map((v) =>
    `${v.id}: ${v.help} — ${
      v.nodes.map((n) => `${n.target.join(" ")} (${n.failureSummary ?? ""})`)
        .join("; ")
    }`
  );
  assertEquals(found, []);
}

/**
 * Closes the browser, waiting at most 10 s: after a page that downloaded
 * through `fetch` and changed its viewport, playwright-core's close has been
 * seen to wait forever although Chromium had exited, which held the test's
 * processes open.
 */
export async function closeBrowser(browser: Browser | null): Promise<void> {
  if (!browser) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    browser.close(),
    new Promise((resolve) => timer = setTimeout(resolve, 10_000)),
  ]);
  clearTimeout(timer);
}
