/** Route shapes several resources share, so their documents and answers stay the same. */
import { createRoute, z } from "@hono/zod-openapi";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { errorResponses } from "../errors";
import { PageQuery, pageSchema } from "../pagination";
import { CustomerIdField, idParam } from "./schemas";

const Deleted = z.object({ id: z.string(), deleted: z.literal(true) }).openapi("Deleted");

/** `DELETE /v1/<resource>/{id}`: 404 unless the caller may see it, `{ id, deleted: true }` once gone. */
export function deleteRoute(o: { path: string; tag: string; summary: string; description: string; prefix: string; errors?: ContentfulStatusCode[] }) {
  return createRoute({
    method: "delete",
    path: o.path,
    tags: [o.tag],
    summary: o.summary,
    description: o.description,
    request: { params: idParam(o.prefix, `${o.prefix}_01JD3ZQ7W8X9Y0A1B2C3D4E5F6`) },
    responses: {
      200: { description: "Deleted", content: { "application/json": { schema: Deleted } } },
      ...errorResponses(...(o.errors ?? [401, 404, 422])),
    },
  });
}

/** `GET /v1/<resource>`: newest first, one customer's (a customer key: always its own) or, for the operator, every customer's. */
export function customerListRoute<V extends z.ZodType>(o: { path: string; tag: string; summary: string; description: string; view: V; page: string }) {
  return createRoute({
    method: "get",
    path: o.path,
    tags: [o.tag],
    summary: o.summary,
    description: o.description,
    request: { query: PageQuery.extend({ customer_id: CustomerIdField.optional() }) },
    responses: {
      200: { description: `A page of ${o.summary.replace(/^List /, "")}`, content: { "application/json": { schema: pageSchema(o.view, o.page) } } },
      ...errorResponses(401, 404, 422),
    },
  });
}
