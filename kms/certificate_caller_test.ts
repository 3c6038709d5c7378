import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { generateIdentity, importAesKey } from "../protocol/mod.ts";
import { certificateCaller } from "./certificate_caller.ts";
import { parseKmsConfig } from "./config.ts";
import { closeKms, createKms, type Kms } from "./context.ts";
import { HttpError } from "./http.ts";
import { bindCertificate } from "./sae_certs.ts";
import { KmsStore } from "./store.ts";

async function kmsWith(args: string[]): Promise<Kms> {
  const kms = createKms(parseKmsConfig(args, () => undefined), {
    store: new KmsStore(":memory:"),
    masterKey: await importAesKey(new Uint8Array(32)),
    ticketKey: await generateIdentity(),
    log: () => {},
  });
  kms.store.enrollSae("SAE_A", "hash-a");
  kms.store.enrollSae("SAE_B", "hash-b");
  kms.store.enrollSae("Ops", "hash-ops", { role: "operator" });
  return kms;
}

const request = new Request("https://kms/api/v1/keys/SAE_B/status");
const source = { address: "10.0.0.7:4000", host: "10.0.0.7" };
const fp = (c: string) => c.repeat(64);

function refusal(kms: Kms, peer: Parameters<typeof certificateCaller>[2]) {
  const error = assertThrows(
    () => certificateCaller(request, { kms, params: {}, source }, peer),
    HttpError,
  );
  assertEquals(error.status, 401);
  return error.message;
}

Deno.test("a bound certificate is its SAE whatever its CN; an SAE with bound certificates refuses others with its name", async () => {
  const kms = await kmsWith([]);
  try {
    bindCertificate(kms.store, { fingerprint: fp("a"), saeId: "SAE_A" });
    const context = { kms, params: {}, source };
    assertEquals(
      certificateCaller(request, context, {
        fingerprint256: fp("a"),
        subjectCN: "something else",
      }).name,
      "SAE_A",
    );
    assertMatch(
      refusal(kms, { fingerprint256: fp("b"), subjectCN: "SAE_A" }),
      /is not one bound to SAE_A: deno task kms:enroll SAE_A --cert FILE/,
    );
    // SAE_B has no bound certificate: its CN is enough.
    assertEquals(
      certificateCaller(request, context, {
        fingerprint256: fp("c"),
        subjectCN: "SAE_B",
      }).name,
      "SAE_B",
    );
  } finally {
    closeKms(kms);
  }
});

Deno.test("unenrolled names, operators and certificates without a usable name get a 401 that says how to enroll, and an AUTH_FAILED row with api=etsi-tls", async () => {
  const kms = await kmsWith([]);
  try {
    assertMatch(
      refusal(kms, { fingerprint256: fp("d"), subjectCN: "SAE_Z" }),
      /^certificate CN=SAE_Z \(sha256 d{64}\) is not enrolled: deno task kms:enroll SAE_Z --cert FILE$/,
    );
    assertMatch(
      refusal(kms, { fingerprint256: fp("e"), subjectCN: "Ops" }),
      /Ops is an operator/,
    );
    assertMatch(
      refusal(kms, { fingerprint256: fp("f"), subjectCN: "not an id!" }),
      /names no SAE id \(the KMS reads the CN\)/,
    );
    assertMatch(refusal(kms, { fingerprint256: fp("f") }), /without a CN/);
    const row = kms.store.recentAudit(1)[0];
    assertEquals(row.tag, "AUTH_FAILED");
    assertEquals(
      row.message,
      `source=10.0.0.7:4000 api=etsi-tls path=/api/v1/keys/SAE_B/status cert_sha256=${
        fp("f")
      }`,
    );
  } finally {
    closeKms(kms);
  }
});

Deno.test("--tls-sae-id san-uri reads the SAE id from a SAN URI:urn:qstcs:sae:ID, not the CN", async () => {
  const kms = await kmsWith(["--tls-sae-id", "san-uri"]);
  try {
    const context = { kms, params: {}, source };
    assertEquals(
      certificateCaller(request, context, {
        fingerprint256: fp("1"),
        subjectCN: "SAE_Z",
        subjectAltName: "DNS:a.example, URI:urn:qstcs:sae:SAE_B",
      }).name,
      "SAE_B",
    );
    assertMatch(
      refusal(kms, { fingerprint256: fp("2"), subjectCN: "SAE_A" }),
      /names no SAE id \(the KMS reads a SAN URI:urn:qstcs:sae:ID\)/,
    );
  } finally {
    closeKms(kms);
  }
});
