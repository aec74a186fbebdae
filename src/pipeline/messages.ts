/** Queue message bodies. Each carries `kind`, so a consumer can tell them apart without the queue's name. */

/** One accepted webhook, credentials stripped: what ingest hands to the INBOX queue. */
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
  /** The redacted body as JSON text, or null when it was spooled to D1 (too big for a queue message). */
  body: string | null;
};

/** A delivery that goes through the DELIVERY queue (retry, held release, replay, recover). */
export type DeliveryMessage = {
  kind: "delivery";
  delivery_id: string;
  event_id: string;
  endpoint_id: string;
  source_id: string;
  case_id: string;
  /** When the delivery is due (ms); a message that arrives early is re-queued for the rest (queue delays cap at 12 h). */
  due_at: number;
};

export type QueueMessage = ReceiptMessage | DeliveryMessage;
