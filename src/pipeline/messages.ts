/** What ingest hands to the INBOX queue: one accepted webhook, credentials stripped. */
export type ReceiptMessage = {
  kind: "receipt";
  id: string;
  source_id: string;
  customer_id: string;
  case_id: string;
  dedupe_key: string;
  subject: string;
  provider_event_id: string | null;
  event_type: string;
  version: string | null;
  received_at: number;
  body_sha256: string;
  /** The redacted body as JSON text, or null when ingest stashed it in the case object (too big for a message). */
  body: string | null;
};
