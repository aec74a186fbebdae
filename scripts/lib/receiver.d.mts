// Types for receiver.mjs, so TypeScript tests can import it.
export const shortId: (id: string) => string;
export function describeDelivery(envelope: unknown, verified: boolean): string;

export type ReceivedDelivery = {
  at: number;
  /** The `webhook-id` header. */
  id: string | null;
  /** The parsed body (a caserelay envelope), null if it was not JSON. */
  envelope: any;
  /** Signature checked with the official standardwebhooks library. */
  verified: boolean;
};

export type Receiver = {
  /** http://127.0.0.1:<port>/hooks */
  url: string;
  deliveries: ReceivedDelivery[];
  setSecret(secret: string): void;
  stop(): Promise<void>;
};

export function startReceiver(opts?: { log?: (line: string) => void }): Promise<Receiver>;
