import type { z } from "zod";
import type { Check, EventType, Status } from "../domain";

/** An inbound webhook as ingest saw it. */
export type InboundRequest = {
  headers: Headers;
  /** The exact bytes received, as UTF-8 text: signatures are computed over it. */
  rawBody: string;
  json: unknown;
  /** Seconds since the epoch, for timestamp tolerance checks. */
  now: number;
};

/** `reason` tells the sender what was wrong without revealing any configured secret. */
export type VerifyResult = { ok: true } | { ok: false; reason: string };

export type Issue = { path: string; message: string };

/** What ingest needs from a provider's envelope. */
export type ParsedEvent = {
  caseId: string;
  /** The provider's own dedupe rule (its event id, or the fields it says identify a delivery), as one string. */
  dedupeKey: string;
  providerEventId: string | null;
  eventType: string;
  /** Ordering within a subject (modStamp, triggered_at, dateOccurred...); null when the provider gives none. */
  version: string | null;
  /** "case", or "check:<id>" for an event about one service/check/step inside the case. */
  subject: string;
  /** The body with credentials removed: what is stored and, without an API, forwarded. */
  body: unknown;
};

export type ParseResult = { ok: true; event: ParsedEvent } | { ok: false; issues: Issue[] };

export type RefetchOutcome =
  /** The provider's current state of the case. */
  | { kind: "found"; state: unknown }
  /** The provider says the case is gone or not visible to these credentials (403/404/410). */
  | { kind: "gone"; httpStatus: number }
  /** No API configured for this source: the webhook body is all there is (`verified: false`). */
  | { kind: "none" };

/** How adapters call provider APIs: JSON in and out, timeouts and retries handled by the caller. */
export type ProviderHttp = {
  /** Resolves with status and parsed JSON; throws RefetchError on network errors, timeouts, 5xx or bad JSON. */
  request(
    url: string,
    init: { method?: string; headers?: Record<string, string>; json?: unknown; form?: Record<string, string> },
  ): Promise<{ status: number; body: unknown }>;
};

/** Bearer tokens obtained from a provider, cached per source across requests and isolates. */
export type TokenCache = {
  /** The cached token for `key`, or the one `fetch` obtains; concurrent callers share one fetch. */
  obtain(key: string, fetch: () => Promise<{ token: string; expiresAt: number | null }>): Promise<string>;
  /** Drops `token` (rejected by the provider) unless it was already replaced. */
  invalidate(key: string, token: string): Promise<void>;
};

export type RefetchContext<C> = { config: C; http: ProviderHttp; tokens: TokenCache };

export type NormalizeInput = {
  event: Pick<ParsedEvent, "eventType" | "subject" | "caseId" | "body">;
  /** The refetched state, or the body when the provider has no API. */
  state: unknown;
  /** True when `state` was refetched from the provider's API. */
  verified: boolean;
  /**
   * False when the webhook was not authenticated (the source verifies nothing): then only the
   * event's kind may come from the body, every status from the refetched state.
   */
  trusted: boolean;
};

export type Normalized = {
  type: EventType;
  status: Status;
  provider_status: string | null;
  check: Check | null;
  /** No further changes expected: the cron stops reconciling the case. */
  terminal: boolean;
  /** The provider's group, for endpoint filters (KarmaCheck groupProfileId). */
  group: string | null;
};

/**
 * A request to a source's ingest URL that may be an activation handshake rather than an event
 * (an echoed header, a GET challenge, a ping). Seen before anything is verified, parsed or stored.
 */
export type HandshakeRequest = {
  method: "GET" | "POST";
  headers: Headers;
  /** The ingest URL's query parameters. */
  query: URLSearchParams;
  /** The body as UTF-8 text ("" for a GET or an empty body); not yet checked to be JSON. */
  rawBody: string;
  /** Seconds since the epoch. */
  now: number;
};

/** What ingest answers to a handshake instead of queuing anything; a 401 is sent in the error envelope. */
export type HandshakeResponse = { status: 200 | 202; headers?: Record<string, string>; body?: string } | { status: 401; reason: string };

export interface ProviderAdapter<C = unknown> {
  readonly name: string;
  /** Validates `config` of POST /v1/sources for this provider; credentials marked with `credential()`. */
  readonly configSchema: z.ZodType<C>;
  /**
   * A config as a customer would send it, every option the adapter has in use and made-up
   * credentials: the OpenAPI example, and the sample the tests build sources from.
   */
  readonly example: Readonly<Record<string, unknown>>;
  verify(req: InboundRequest, config: C): Promise<VerifyResult>;
  parse(req: InboundRequest, config: C): ParseResult;
  /** Whether this source can refetch (has API credentials or a refetch template). */
  canRefetch(config: C): boolean;
  /**
   * Whether `verify` authenticates the sender with this config (default: yes). An unauthenticated
   * webhook can only cause a refetch: its version and statuses are never taken from its body.
   */
  authenticates?(config: C): boolean;
  /** The provider's version of `subject` in a refetched state, for sources whose webhooks are unauthenticated. */
  versionOf?(state: unknown, subject: string): string | null;
  refetch(ctx: RefetchContext<C>, caseId: string): Promise<RefetchOutcome>;
  normalize(input: NormalizeInput, config: C): Normalized;
  /** Answers an activation handshake; null when `req` is an ordinary webhook (or a GET it does not answer). */
  handshake?(req: HandshakeRequest, config: C): Promise<HandshakeResponse | null>;
  /** The status an accepted webhook is acknowledged with when the provider expects another than 200. */
  readonly ackStatus?: 200 | 201 | 202;
}

export class RefetchError extends Error {
  override name = "RefetchError";
  constructor(
    message: string,
    /** 5xx, timeouts and network errors are worth another try; 4xx other than gone are not. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}
