// Types for demo.mjs, so the end-to-end test can run the demo.
export type DemoStory = {
  provider: "karmacheck" | "truework" | "casekeeper" | "keldair" | "checkr" | "persona";
  caseId: string;
  sourceId: string;
  /** `sequence` of each delivery the receiver got for the case, in arrival order. */
  sequences: number[];
  inOrder: boolean;
  signed: boolean;
  /** The last delivery is the story's expected final state. */
  delivered: boolean;
  ended: { type: string; status: string } | null;
  problems: string[];
  error: string | null;
  ok: boolean;
};

export type DemoSummary = {
  ok: boolean;
  sent: number;
  accepted: number;
  rejected: number;
  rejections: { provider: string; status: number; message: string | null }[];
  /** From the relay's API (GET /v1/cases/{source_id}/{case_id}). */
  duplicatesDropped: number;
  staleDropped: number;
  unchanged: number;
  forwarded: number;
  failed: number;
  /** At the receiver, one per webhook-id. */
  delivered: number;
  signaturesVerified: number;
  /** What the demo sent on purpose. */
  intended: { duplicates: number; stale: number; rejected: number };
  providerApiCalls: number;
  stories: DemoStory[];
  firstWebhookToLastDeliveryMs: number | null;
  durationMs: number;
  /** The outage after the stories (null with `outage: false`). */
  outage: OutageSummary | null;
};

export type OutageSummary = {
  /** Opened, notified (signed) and resolved, as it should. */
  ok: boolean;
  issueId: string | null;
  /** Deliveries the demo saw fail while the receiver was down. */
  failedAttempts: number;
  webhooks: number;
  opened: boolean;
  resolved: boolean;
  /** Notification types the alert endpoint received about the issue, in order. */
  notifications: string[];
  signed: boolean;
  problems: string[];
};

export function runDemo(opts: {
  relayUrl: string;
  adminToken: string;
  log?: (line: string) => void;
  stepTimeoutMs?: number;
  outage?: boolean;
  pause?: (info: { relayUrl: string }) => Promise<void>;
}): Promise<DemoSummary>;
