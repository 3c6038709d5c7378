/**
 * The operator's actions on the link: `/force_attack` (and
 * `/trigger_attack`), `/reset`, `/activate_eve`, `/deactivate_eve`. Unless
 * the KMS runs `--open`, each needs an operator's bearer token (401 without
 * one, 403 with a device's), and each is audited with its actor and source
 * address (`actor=anonymous` under `--open`).
 *
 * @module
 */

import { authorizeOperator } from "./caller.ts";
import { json } from "./http.ts";
import type { OperatorAction } from "./quantum_link.ts";
import type { Handler, RouteContext } from "./router.ts";

/** The operator behind a request, as its audit rows name it. */
function operator(request: Request, context: RouteContext): OperatorAction {
  const actor = authorizeOperator(request, context);
  return { by: `actor=${actor} source=${context.source.address}` };
}

/** `POST /force_attack` (and `/trigger_attack`): attack mode on, runs until RED. */
export const forceAttack: Handler = (request, context) => {
  const by = operator(request, context);
  const { status, qber } = context.kms.link.forceAttack(by);
  return json({ status, qber });
};

/** `POST /reset`: attack off, history, pairs and sessions cleared. */
export const reset: Handler = (request, context) => {
  const by = operator(request, context);
  context.kms.link.reset(by);
  context.kms.broker.clear();
  return json({ status: "reset_complete" });
};

/** `POST /activate_eve` and `/deactivate_eve`: attack mode without a run. */
export function setEve(on: boolean): Handler {
  return (request, context) => {
    const by = operator(request, context);
    const { link } = context.kms;
    link.setAttackMode(on, by);
    return json({ attack_mode: on, status: link.status });
  };
}
