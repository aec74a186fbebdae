import type { ErrorDetail } from "./issues";

export type { ErrorDetail } from "./issues";

/**
 * What can go wrong for a caller, by code. The codes are a public contract (the API's
 * `error.code`); `src/http/errors.ts` gives each its HTTP status.
 */
export const ERROR_CODES = [
  "invalid_json",
  "invalid_request",
  "unauthorized",
  "forbidden",
  "not_found",
  "conflict",
  "limit_reached",
  "payload_too_large",
  "unsupported_media_type",
  "validation_failed",
  "invalid_payload",
  "internal_error",
  "misconfigured",
  "unavailable",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/**
 * An error the caller can act on, thrown by services and routes alike. The HTTP layer answers it
 * with the error envelope; anything else thrown is an internal error.
 */
export class RelayError extends Error {
  override name = "RelayError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}
