/**
 * How the rest of the relay calls a case object: by its key, through one typed client. The
 * runtime's RPC types cannot express JSON values of unknown shape (provider states), so the stub
 * is typed by the object's own method signatures; the values cross as structured clones.
 */
import type { CaseObject } from "./object";
import { caseObjectName, type CaseKey } from "./types";

type Entry =
  | "process"
  | "stash"
  | "reconcile"
  | "deadLetter"
  | "replayReceipt"
  | "replayEvent"
  | "recover"
  | "release"
  | "trail"
  | "event"
  | "attempts"
  | "retainAt";
export type CaseClient = Pick<CaseObject, Entry>;

export function caseObject(env: Env, key: CaseKey): CaseClient {
  return env.CASES.get(env.CASES.idFromName(caseObjectName(key))) as unknown as CaseClient;
}
