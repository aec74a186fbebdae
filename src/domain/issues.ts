/**
 * The conditions the relay raises issues for, and how each one behaves: what it is about (a source
 * or an endpoint), how many occurrences open it, how it clears, what its notifications are called
 * and who may receive them. One table, read by the index writes, the notifier, the API and the
 * console (README "Alerts" documents it).
 */

import { ISSUE_KINDS, type IssueKind, type SubjectType } from "../domain";

export { ISSUE_KINDS, ISSUE_STATUSES, type IssueKind, type IssueRef, type IssueStatus, type SubjectType } from "../domain";

type KindSpec = {
  subject: SubjectType;
  /** Occurrences that open the issue (below it the streak is `pending`). */
  threshold: number;
  /** Occurrences build up as a pending streak before the issue opens (a success forgets it). */
  streak: boolean;
  /** A pending streak whose last occurrence is older than this starts again (0: never). */
  windowMs: number;
  /**
   * The clear only resolves what was last seen at or before it: for streaks of attempts made
   * concurrently by many case objects, so a success older than the latest failure changes nothing.
   */
  guardedClear: boolean;
  /** The notification type when the issue resolves; null: its resolution is not notified. */
  resolvedType: string | null;
  /** A customer's alert endpoints may receive it (it is about the customer's endpoints and deliveries). */
  forCustomers: boolean;
  /** Informational: resolves by itself once quiet for INFO_QUIET_MS. */
  informational: boolean;
};

const HOUR = 3_600_000;
/** An informational issue resolves after this long without another occurrence (the cron's alerts step). */
export const INFO_QUIET_MS = 24 * HOUR;
/** Failed refetches in a row (each already tried three times) before source.refetch_failing opens. */
export const REFETCH_FAILING_AFTER = 3;

export const KINDS: Record<IssueKind, KindSpec> = {
  "source.silent": {
    subject: "source",
    threshold: 1,
    streak: false,
    windowMs: 0,
    guardedClear: false,
    resolvedType: "source.recovered",
    forCustomers: false,
    informational: false,
  },
  "source.refetch_failing": {
    subject: "source",
    threshold: REFETCH_FAILING_AFTER,
    streak: true,
    windowMs: HOUR,
    guardedClear: true,
    resolvedType: "source.refetch_recovered",
    forCustomers: false,
    informational: false,
  },
  // The threshold is ALERT_FAILING_AFTER, carried by each write (src/lib/config.ts).
  "endpoint.failing": {
    subject: "endpoint",
    threshold: 5,
    streak: true,
    windowMs: 0,
    guardedClear: true,
    resolvedType: "endpoint.recovered",
    forCustomers: true,
    informational: false,
  },
  "endpoint.disabled": {
    subject: "endpoint",
    threshold: 1,
    streak: false,
    windowMs: 0,
    guardedClear: false,
    resolvedType: "endpoint.recovered",
    forCustomers: true,
    informational: false,
  },
  "delivery.exhausted": {
    subject: "endpoint",
    threshold: 1,
    streak: false,
    windowMs: 0,
    guardedClear: false,
    resolvedType: "delivery.recovered",
    forCustomers: true,
    informational: false,
  },
  "receipt.failed": {
    subject: "source",
    threshold: 1,
    streak: false,
    windowMs: 0,
    guardedClear: false,
    resolvedType: "receipt.recovered",
    forCustomers: false,
    informational: false,
  },
  "case.recovered_by_reconcile": {
    subject: "source",
    threshold: 1,
    streak: false,
    windowMs: 0,
    guardedClear: false,
    resolvedType: null,
    forCustomers: false,
    informational: true,
  },
};

export const CUSTOMER_KINDS = ISSUE_KINDS.filter((k) => KINDS[k].forCustomers);

/** Every `type` a notification can have: the kinds (opened, escalated) and their resolutions. */
export const ALERT_TYPES = [...new Set([...ISSUE_KINDS, ...ISSUE_KINDS.flatMap((k) => (KINDS[k].resolvedType ? [KINDS[k].resolvedType] : []))])];

/** While an issue is not resolved, its row holds this key: one open issue per condition and subject. */
export const openKey = (kind: IssueKind, subjectId: string) => `${kind}:${subjectId}`;
