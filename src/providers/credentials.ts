/**
 * Credentials in a provider's config: each adapter marks its own secret fields with `credential()`,
 * and everything that shows a config (the API, the console, logs) redacts what the adapter marked.
 * The mark is JSON Schema's `writeOnly`, so the OpenAPI document says the same thing.
 */
import { z } from "zod";

export const REDACTED = "[redacted]";

/** Marks `schema` as a credential: accepted, encrypted at rest, never shown. */
export function credential<T extends z.ZodType>(schema: T): T {
  return schema.meta({ writeOnly: true });
}

type JsonSchema = {
  writeOnly?: boolean;
  $ref?: string;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema | boolean;
  prefixItems?: JsonSchema[];
  $defs?: Record<string, JsonSchema>;
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Redacts a config by its schema. Where a value could match several branches of a union, a mark in
 * any branch redacts it; a key the schema does not describe (left from an older version) is
 * redacted too, since nothing says it is safe to show.
 */
export class Redactor {
  private readonly root: JsonSchema;

  constructor(schema: z.ZodType) {
    this.root = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  }

  redact(value: unknown): unknown {
    return this.walk(value, [this.root]);
  }

  /** The schema and every branch it may stand for. */
  private expand(schemas: readonly JsonSchema[]): JsonSchema[] {
    const out: JsonSchema[] = [];
    const visit = (s: JsonSchema, depth: number) => {
      if (depth > 20) return;
      out.push(s);
      if (s.$ref?.startsWith("#/$defs/")) {
        const target = this.root.$defs?.[s.$ref.slice("#/$defs/".length)];
        if (target) visit(target, depth + 1);
      }
      for (const branch of [...(s.anyOf ?? []), ...(s.oneOf ?? []), ...(s.allOf ?? [])]) visit(branch, depth + 1);
    };
    for (const s of schemas) visit(s, 0);
    return out;
  }

  private walk(value: unknown, schemas: readonly JsonSchema[]): unknown {
    const all = this.expand(schemas);
    if (all.length === 0 || all.some((s) => s.writeOnly === true)) return hidden(value);
    if (Array.isArray(value)) {
      return value.map((v, i) => {
        const item = all.flatMap((s) => [s.prefixItems?.[i], isObject(s.items) ? (s.items as JsonSchema) : undefined].filter((x): x is JsonSchema => x !== undefined));
        return this.walk(v, item);
      });
    }
    if (isObject(value)) {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => {
          const sub = all.flatMap((s) => {
            const own = s.properties && Object.hasOwn(s.properties, k) ? s.properties[k] : undefined;
            if (own) return [own];
            return isObject(s.additionalProperties) ? [s.additionalProperties as JsonSchema] : [];
          });
          return [k, this.walk(v, sub)];
        }),
      );
    }
    return value;
  }
}

/** A redacted value keeps its shape (how many secrets, which header names), never a value. */
function hidden(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(() => REDACTED);
  if (isObject(value)) return Object.fromEntries(Object.keys(value).map((k) => [k, REDACTED]));
  return REDACTED;
}
