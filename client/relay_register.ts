/**
 * The `register` frame a relay link opens each connection with. With a
 * ticket it proves the device is the ticket's: it waits for the relay's
 * `challenge` and carries `proof`, the identity key's signature of the
 * nonce and device id (protocol/registration.ts), since a ticket alone is
 * a bearer credential every peer receives in the handshake.
 *
 * @module
 */

import type { RegisterFrame } from "../protocol/mod.ts";

/**
 * How long a registration with a ticket waits for the relay's challenge:
 * a relay from before challenges, or one started with `--open`, sends none
 * and then gets the registration without proof.
 */
export const CHALLENGE_WAIT_MS = 1000;

/** Options for {@linkcode registerFrame}. */
export interface RegisterFrameOptions {
  /** The device to register as. */
  deviceId: string;
  /** The resume token of the previous registration, if any. */
  resume?: string;
  /** The device's relay ticket, if it holds one. */
  ticket?: string;
  /** Signs the challenge nonce (`proveRegistration` of protocol/registration.ts). */
  prove?: (nonce: string) => Promise<string>;
  /**
   * The devices whose presence this connection wants (the direct peer):
   * the relay then tells it of those alone, not of every device.
   */
  watch?: string[];
  /** Default {@linkcode CHALLENGE_WAIT_MS}. */
  waitMs?: number;
}

/**
 * The registration, once `challenge` (the relay's nonce) came or the wait
 * ran out; without a ticket (or a way to prove) it does not wait.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { registerFrame } from "./relay_register.ts";
 * const prove = (nonce: string) => Promise.resolve(`signed ${nonce}`);
 * assertEquals(
 *   await registerFrame(Promise.resolve("n-1"), { deviceId: "A", ticket: "t", prove }),
 *   { type: "register", device_id: "A", ticket: "t", proof: "signed n-1" },
 * );
 * // The peer watched: the relay tells of it alone.
 * assertEquals(
 *   await registerFrame(Promise.resolve("n-1"), { deviceId: "A", watch: ["B"] }),
 *   { type: "register", device_id: "A", watch: ["B"] },
 * );
 * // A relay that sends no challenge: no proof, after the wait.
 * assertEquals(
 *   await registerFrame(new Promise(() => {}), { deviceId: "A", ticket: "t", prove, waitMs: 10 }),
 *   { type: "register", device_id: "A", ticket: "t" },
 * );
 * ```
 */
export async function registerFrame(
  challenge: Promise<string>,
  options: RegisterFrameOptions,
): Promise<RegisterFrame> {
  const { deviceId, resume, ticket, prove, watch } = options;
  let proof: string | undefined;
  if (ticket !== undefined && prove) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const nonce = await Promise.race([
      challenge,
      new Promise<undefined>((resolve) =>
        timer = setTimeout(
          () => resolve(undefined),
          options.waitMs ?? CHALLENGE_WAIT_MS,
        )
      ),
    ]);
    clearTimeout(timer);
    if (nonce !== undefined) proof = await prove(nonce);
  }
  return {
    type: "register",
    device_id: deviceId,
    ...(resume === undefined ? {} : { resume }),
    ...(ticket === undefined ? {} : { ticket }),
    ...(proof === undefined ? {} : { proof }),
    ...(watch === undefined ? {} : { watch }),
  };
}
