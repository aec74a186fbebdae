import { z } from "@hono/zod-openapi";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ERROR_CODES, type ErrorCode, type ErrorDetail, RelayError } from "../lib/errors";
import { type IssueLike, issuesToDetails } from "../lib/issues";

/** The HTTP status of each error code. */
export const ERROR_STATUS = {
  invalid_json: 400,
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  /** A per-customer cap (MAX_SOURCES_PER_CUSTOMER, MAX_ENDPOINTS_PER_CUSTOMER) is reached. */
  limit_reached: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  invalid_payload: 422,
  internal_error: 500,
  misconfigured: 500,
  unavailable: 503,
} as const satisfies Record<ErrorCode, ContentfulStatusCode>;

export function errorBody(code: ErrorCode, message: string, requestId: string, details?: ErrorDetail[]) {
  return { error: { code, message, request_id: requestId, ...(details?.length ? { details } : {}) } };
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES),
      message: z.string(),
      request_id: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi("Error");

/** Standard error responses for an OpenAPI route, by status. */
export function errorResponses(...statuses: ContentfulStatusCode[]) {
  const descriptions: Record<number, string> = {
    400: "Malformed request",
    401: "Missing or invalid credentials",
    403: "Not allowed for this credential",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Body too large",
    422: "Validation failed",
  };
  return Object.fromEntries(statuses.map((s) => [s, { description: descriptions[s] ?? "Error", content: { "application/json": { schema: ErrorSchema } } }]));
}

/** A request that failed its schema: 422 `validation_failed`, naming each offending field of `where` (body, query, param). */
export function validationFailed(issues: readonly IssueLike[], where: string): RelayError {
  const details = issuesToDetails(issues);
  return new RelayError("validation_failed", `Invalid request ${where}: ${details.map((d) => `${d.path}: ${d.message}`).join("; ")}`, details);
}
