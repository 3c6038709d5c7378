/**
 * Test fixtures for squad rooms: a KMS ticket identity and members holding
 * an Ed25519 identity and the relay ticket the KMS issued for it.
 *
 * @module
 */

import { generateIdentity, type Identity } from "./identity.ts";
import { issueTicket } from "./relay_ticket.ts";

/** Unix seconds the fixtures' tickets are valid at. */
export const NOW = 1_700_000_000;

/** A room member as the tests need it. */
export interface TestMember {
  id: string;
  identity: Identity;
  ticket: string;
}

/** A KMS ticket identity and one member per id, ticketed by it at NOW. */
export async function testMembers(
  ids: readonly string[],
): Promise<{ kms: Identity; members: TestMember[] }> {
  const kms = await generateIdentity();
  const members = [];
  for (const id of ids) {
    const identity = await generateIdentity();
    const ticket = await issueTicket(kms, {
      deviceId: id,
      publicKey: identity.publicKey,
      now: NOW,
      lifetimeSeconds: 3600,
    });
    members.push({ id, identity, ticket });
  }
  return { kms, members };
}
