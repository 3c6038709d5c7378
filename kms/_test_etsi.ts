/**
 * Test helper: ETSI GS QKD 014 requests as the conformance and race tests
 * make them.
 *
 * @module
 */

import type { TestClient, TestResponse } from "./_test_kms.ts";

/**
 * `options.count` POST enc_keys for SAE_B with `options.body`, all at once,
 * split into those answered 200 and the others.
 */
export async function encKeysAtOnce(
  client: TestClient,
  options: {
    as: Record<string, string>;
    count: number;
    body: Record<string, unknown>;
  },
): Promise<{ served: TestResponse[]; refused: TestResponse[] }> {
  const answers = await Promise.all(
    Array.from(
      { length: options.count },
      () =>
        client.post("/api/v1/keys/SAE_B/enc_keys", options.body, options.as),
    ),
  );
  return {
    served: answers.filter((a) => a.status === 200),
    refused: answers.filter((a) => a.status !== 200),
  };
}
