import { assertEquals } from "@std/assert";
import {
  type AuditRow,
  isAuditQueryResponse,
  isLinkHistoryResponse,
  type LinkHistoryBlock,
} from "./soc_api.ts";

const BLOCK: LinkHistoryBlock = {
  at: 1000,
  qber: 0.26,
  rolling_qber: 0.2,
  status: "RED",
  epoch: 1,
  eve: "intercept_resend",
  gains: [0.004, 0.0016, 0.00001],
  single_photon_lower: 120_000,
  secret_bits: 0,
  count: 3,
};

Deno.test("a history answer is checked field for field", () => {
  const epochs = [{ epoch: 1, started_at: 0, reset_by: null }, {
    epoch: 2,
    started_at: 900,
    reset_by: "Operator",
  }];
  assertEquals(isLinkHistoryResponse({ epochs, blocks: [BLOCK] }), true);
  assertEquals(
    isLinkHistoryResponse({
      epochs,
      blocks: [{ ...BLOCK, gains: null, single_photon_lower: null }],
    }),
    true,
  );
  for (const field of Object.keys(BLOCK)) {
    const missing: Record<string, unknown> = { ...BLOCK };
    delete missing[field];
    assertEquals(
      isLinkHistoryResponse({ epochs, blocks: [missing] }),
      false,
      `without ${field}`,
    );
  }
  for (
    const broken of [
      { ...BLOCK, status: "PURPLE" },
      { ...BLOCK, gains: [0.1, 0.2] },
      { ...BLOCK, count: 0 },
      { ...BLOCK, eve: "laser" },
    ]
  ) {
    assertEquals(isLinkHistoryResponse({ epochs, blocks: [broken] }), false);
  }
  assertEquals(
    isLinkHistoryResponse({ epochs: [{ epoch: 0 }], blocks: [] }),
    false,
  );
});

Deno.test("an audit answer is checked field for field", () => {
  const row: AuditRow = {
    id: 40,
    at: 2000,
    tag: "KEY_REFUSED",
    message: "device=Soldier_Alpha peer=Soldier_Bravo status=RED",
    device: "Soldier_Alpha",
    count: 34,
    first_at: 1000,
    last_at: 2000,
  };
  assertEquals(isAuditQueryResponse({ rows: [row], next_before: 12 }), true);
  assertEquals(
    isAuditQueryResponse({
      rows: [{ ...row, device: null }],
      next_before: null,
    }),
    true,
  );
  for (const field of Object.keys(row)) {
    const missing: Record<string, unknown> = { ...row };
    delete missing[field];
    assertEquals(
      isAuditQueryResponse({ rows: [missing], next_before: null }),
      false,
      `without ${field}`,
    );
  }
  assertEquals(
    isAuditQueryResponse({
      rows: [{ ...row, first_at: 3000 }],
      next_before: null,
    }),
    false,
  );
  assertEquals(isAuditQueryResponse({ rows: [], next_before: 0 }), false);
  assertEquals(isAuditQueryResponse({ rows: [] }), false);
});
