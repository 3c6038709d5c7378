/**
 * Test helper: a TCP proxy that can go silent, as a KMS behind a network
 * that stops answering: connections are accepted and then left hanging.
 * Switched back on, new connections are passed through to the upstream.
 *
 * @module
 */

import { startCaptureProxy } from "./_test_capture_proxy.ts";

/** A running proxy. */
export interface SilentProxy extends AsyncDisposable {
  /** `http://127.0.0.1:PORT`. */
  url: string;
  /** Whether new connections are left hanging. */
  silent: boolean;
}

/** Starts a proxy to `127.0.0.1:upstreamPort`, silent at first. */
export function startSilentProxy(upstreamPort: number): SilentProxy {
  const proxy = startCaptureProxy(upstreamPort, { silent: true });
  return Object.assign(proxy, { url: `http://${proxy.address}` });
}
