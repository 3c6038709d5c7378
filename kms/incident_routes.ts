/**
 * `POST /incidents/acknowledge {incident_id}` (an operator's token unless
 * `--open`): the operator has seen the incident. Audited
 * `[ALERT_ACKNOWLEDGED] incident=N by=OPERATOR`.
 *
 * @module
 */

import { authorizeOperator } from "./caller.ts";
import { HttpError, json, readJsonObject } from "./http.ts";
import type { Handler } from "./router.ts";

/** `POST /incidents/acknowledge`: 200 with the incident, 404 for none. */
export const acknowledgeIncident: Handler = async (request, context) => {
  const operator = authorizeOperator(request, context);
  const body = await readJsonObject(request);
  const id = body.incident_id;
  if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) {
    throw new HttpError(400, "bad_field", {
      message: "incident_id must be a positive integer",
    });
  }
  const incident = context.kms.incidents.acknowledge(id, operator);
  if (!incident) {
    throw new HttpError(404, "unknown_incident", {
      message: `no incident ${id}`,
    });
  }
  return json(incident);
};
