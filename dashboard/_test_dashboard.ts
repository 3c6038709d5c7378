/**
 * Test helper: the real dashboard process, built first, on a free loopback
 * port, with its permission set ("dashboard") and only the network list
 * overridden for the test ports.
 *
 * @module
 */

import {
  freePort,
  type ServiceProcess,
  startService,
} from "../common/service_process.ts";
import { build } from "./_fresh/build.ts";
import { site } from "./site.ts";

/** A running test dashboard. */
export interface TestDashboard {
  /** Base URL, e.g. http://127.0.0.1:43124. */
  url: string;
  /** The process. */
  process: ServiceProcess;
}

let built: Promise<unknown> | null = null;

/** Builds the islands (once per test run) and starts the dashboard. */
export async function startDashboard(kmsUrl: string): Promise<TestDashboard> {
  built ??= build(site);
  await built;
  const port = freePort();
  const process = await startService({
    permissionSet: "dashboard",
    entry: "dashboard/main.ts",
    args: ["--host", "127.0.0.1", "--port", String(port), "--kms", kmsUrl],
    net: [`127.0.0.1:${port}`, new URL(kmsUrl).host],
  }, { ready: /listening on http/ });
  return { url: `http://127.0.0.1:${port}`, process };
}
