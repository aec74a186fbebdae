// Types for receiver.mjs, so TypeScript tests can import it.
export const shortId: (id: string) => string;
export function describeDelivery(envelope: unknown, verified: boolean): string | null;
export function describeAlert(envelope: unknown, verified: boolean): string | null;

export type ReceivedDelivery = {
  at: number;
  /** The `webhook-id` header. */
  id: string | null;
  /** The parsed body (a caserelay envelope, or a notification), null if it was not JSON. */
  // biome-ignore lint/suspicious/noExplicitAny: whatever was posted, parsed; the scripts and tests that read it assert its shape.
  envelope: any;
  /** Signature checked with the official standardwebhooks library. */
  verified: boolean;
};

export type Receiver = {
  /** http://127.0.0.1:<port>/hooks (or /alerts) */
  url: string;
  deliveries: ReceivedDelivery[];
  setSecret(secret: string): void;
  readonly listening: boolean;
  /** Closes the port: the relay's attempts are refused, as when the receiver is stopped. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  stop(): Promise<void>;
};

export function startReceiver(opts?: {
  log?: (line: string) => void;
  path?: string;
  // biome-ignore lint/suspicious/noExplicitAny: as `envelope` above.
  describe?: (envelope: any, verified: boolean) => string | null;
}): Promise<Receiver>;
export function startAlertReceiver(opts?: { log?: (line: string) => void }): Promise<Receiver>;
