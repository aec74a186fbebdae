/** A case's audit trail (receipts, events, deliveries), read from its object. */
import type { CaseTrail } from "../case/types";
import { caseStub } from "./events";

export function loadCase(env: Env, sourceId: string, caseId: string): Promise<CaseTrail> {
  return caseStub(env, sourceId, caseId).trail();
}
