import { z } from "@hono/zod-openapi";

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: "Page size (1-200)." }),
  cursor: z.string().max(64).optional().openapi({ description: "`next_cursor` from the previous page." }),
});

export function pageSchema<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      data: z.array(item),
      next_cursor: z.string().nullable().openapi({ description: "Pass as `cursor` for the next page; null on the last." }),
    })
    .openapi(name);
}

/** Rows were fetched with limit + 1, newest first: trim and compute the cursor. */
export function toPage<R extends { id: string }, V>(rows: R[], limit: number, view: (r: R) => V) {
  const page = rows.slice(0, limit);
  return { data: page.map(view), next_cursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}

export const iso = (ms: number | null | undefined): string | null => (ms == null ? null : new Date(ms).toISOString());
