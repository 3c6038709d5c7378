/**
 * The operator's actions on the link: `/force_attack` (and
 * `/trigger_attack`), `/reset`, `/activate_eve`, `/deactivate_eve`. Unless
 * the KMS runs `--open`, each needs an operator's bearer token (401 without
 * one, 403 with a device's), and each is audited with its actor and source
 * address (`actor=anonymous` under `--open`).
 *
 * @module
 */

import type { Eavesdropper } from "../quantum/block_detections.ts";
import { authorizeOperator } from "./caller.ts";
import { HttpError, json, readJsonObject } from "./http.ts";
import type { OperatorAction } from "./quantum_link.ts";
import { rekeyRooms } from "./room_routes.ts";
import type { Handler, RouteContext } from "./router.ts";

/** The operator behind a request, as its audit rows name it. */
function operator(request: Request, context: RouteContext): OperatorAction {
  const actor = authorizeOperator(request, context);
  return { by: `actor=${actor} source=${context.source.address}`, actor };
}

/**
 * `POST /force_attack` (and `/trigger_attack`): intercept-resend Eve on,
 * answered once the next blocks turned the link RED (at most 5 s).
 */
export const forceAttack: Handler = async (request, context) => {
  const by = operator(request, context);
  const { status, qber } = await context.kms.link.forceAttack(by);
  return json({ status, qber });
};

/**
 * `POST /reset`: attack off, history, pairs and sessions cleared, the open
 * incident closed by this operator, a new epoch of the persisted history,
 * every room at its next epoch (its members re-key).
 */
export const reset: Handler = (request, context) => {
  const by = operator(request, context);
  context.kms.link.reset(by);
  context.kms.broker.clear();
  rekeyRooms(context.kms, "reset");
  return json({ status: "reset_complete" });
};

/**
 * The eavesdropper `/activate_eve`'s optional body names:
 * `{mode: "intercept_resend" | "pns", rate?}`, by default intercept-resend
 * at rate 1 (the seeds' Eve).
 */
function eveOf(body: Record<string, unknown>): Eavesdropper {
  const mode = body.mode ?? "intercept_resend";
  if (mode === "pns") {
    if (body.rate !== undefined) {
      throw new HttpError(400, "bad_field", {
        message: "rate applies to intercept_resend only",
      });
    }
    return { mode };
  }
  if (mode !== "intercept_resend") {
    throw new HttpError(400, "bad_field", {
      message: 'mode must be "intercept_resend" or "pns"',
    });
  }
  const rate = body.rate ?? 1;
  if (typeof rate !== "number" || !(rate > 0 && rate <= 1)) {
    throw new HttpError(400, "bad_field", {
      message: "rate must be a number above 0 and at most 1",
    });
  }
  return { mode, rate };
}

/**
 * `POST /activate_eve` (body optional, see {@linkcode eveOf}) and
 * `/deactivate_eve`: the eavesdropper of the next blocks.
 */
export function setEve(on: boolean): Handler {
  return async (request, context) => {
    const by = operator(request, context);
    const eve: Eavesdropper = on
      ? eveOf(await readJsonObject(request))
      : { mode: "none" };
    const { link } = context.kms;
    link.setEve(eve, by);
    return json({ attack_mode: on, status: link.status });
  };
}
