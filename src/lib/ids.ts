/** Prefixed, time-sortable ids: <prefix>_<ULID> (48-bit ms timestamp + 80 random bits, Crockford base32). */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export type IdPrefix = "cus" | "src" | "rcv" | "evt" | "ep" | "dlv" | "att" | "req" | "iss" | "ale";

export function ulid(now = Date.now()): string {
  let time = "";
  let t = now;
  for (let i = 0; i < 10; i++) {
    time = ALPHABET[t % 32] + time;
    t = Math.floor(t / 32);
  }
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let random = "";
  for (const b of bytes) random += ALPHABET[b & 31];
  return time + random;
}

export function newId(prefix: IdPrefix, now?: number): string {
  return `${prefix}_${ulid(now)}`;
}

/** The ULID part of an id; ids of different kinds that share it belong together. */
export function ulidOf(id: string): string {
  return id.slice(id.indexOf("_") + 1);
}

/** A receipt and the event it produced share their ULID. */
export function eventIdForReceipt(receiptId: string): string {
  return `evt_${ulidOf(receiptId)}`;
}

/** A delivery id starts with its event's ULID, so an event's deliveries are one key range. */
export function newDeliveryId(eventId: string): string {
  return `dlv_${ulidOf(eventId)}${ulid().slice(-6)}`;
}

export function eventIdOfDelivery(deliveryId: string): string {
  return `evt_${ulidOf(deliveryId).slice(0, 26)}`;
}

/** Milliseconds encoded in a ULID-based id. */
export function timeOfId(id: string): number {
  const u = ulidOf(id);
  let t = 0;
  for (let i = 0; i < 10; i++) t = t * 32 + ALPHABET.indexOf(u[i] ?? "0");
  return t;
}

/** The smallest id of a kind created at or after `ms` (for key-range scans by time). */
export function idFloor(prefix: IdPrefix, ms: number): string {
  return `${prefix}_${ulid(ms).slice(0, 10)}`;
}

const ID_PATTERN = /^[a-z]{2,3}_[0-9A-HJKMNP-TV-Z]{26,32}$/;
export function looksLikeId(prefix: IdPrefix, value: string): boolean {
  return value.startsWith(`${prefix}_`) && ID_PATTERN.test(value);
}
