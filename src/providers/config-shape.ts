/**
 * What a provider's config schema says about its fields, beyond validation. Each adapter marks its
 * own fields; everything else is derived from the marks:
 * - `credential()`: accepted, encrypted at rest, never shown. Redaction of a source's config (the
 *   API, the console, logs) hides exactly these; JSON Schema's `writeOnly` says so in OpenAPI.
 * - `outboundUrl()`: a URL the relay will call (an API base, a token URL, a refetch template). It
 *   must pass the outbound URL policy whenever the config is saved (`x-outbound-url` in OpenAPI).
 */
import { z } from "zod";

export const REDACTED = "[redacted]";

/** Marks `schema` as a credential: accepted, encrypted at rest, never shown. */
export function credential<T extends z.ZodType>(schema: T): T {
  return schema.meta({ writeOnly: true });
}

/** Marks `schema` as a URL the relay calls ("{case_id}" may stand in its path or query). */
export function outboundUrl<T extends z.ZodType>(schema: T): T {
  return schema.meta({ "x-outbound-url": true });
}

type JsonSchema = {
  writeOnly?: boolean;
  "x-outbound-url"?: boolean;
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
 * A config schema's marks, read from its JSON Schema. Where a value could match several branches
 * of a union, a mark in any branch counts; a key the schema does not describe (left from an older
 * version) is treated as a credential, since nothing says it is safe to show.
 */
export class ConfigShape {
  private readonly root: JsonSchema;

  constructor(schema: z.ZodType) {
    this.root = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as JsonSchema;
  }

  /** The config with every credential replaced by "[redacted]", its shape kept. */
  redact(value: unknown): unknown {
    const walk = (v: unknown, schemas: JsonSchema[]): unknown => {
      if (schemas.length === 0 || schemas.some((s) => s.writeOnly === true)) return hidden(v);
      if (Array.isArray(v)) return v.map((x, i) => walk(x, this.expand(this.itemSchemas(schemas, i))));
      if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, this.expand(this.propertySchemas(schemas, k)))]));
      return v;
    };
    return walk(value, this.expand([this.root]));
  }

  /** Every string of the config at a field marked `outboundUrl()`, with its path ("api.base_url"). */
  outboundUrls(value: unknown): { path: string; url: string }[] {
    const found: { path: string; url: string }[] = [];
    const walk = (v: unknown, schemas: JsonSchema[], path: string[]) => {
      if (typeof v === "string" && schemas.some((s) => s["x-outbound-url"] === true)) found.push({ path: path.join("."), url: v });
      else if (Array.isArray(v)) {
        for (const [i, x] of v.entries()) walk(x, this.expand(this.itemSchemas(schemas, i)), [...path, String(i)]);
      } else if (isObject(v)) for (const [k, x] of Object.entries(v)) walk(x, this.expand(this.propertySchemas(schemas, k)), [...path, k]);
    };
    walk(value, this.expand([this.root]), []);
    return found;
  }

  /** The schemas and every branch they may stand for. */
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

  private itemSchemas(schemas: readonly JsonSchema[], i: number): JsonSchema[] {
    return schemas.flatMap((s) =>
      [s.prefixItems?.[i], isObject(s.items) ? (s.items as JsonSchema) : undefined].filter((x): x is JsonSchema => x !== undefined),
    );
  }

  private propertySchemas(schemas: readonly JsonSchema[], key: string): JsonSchema[] {
    return schemas.flatMap((s) => {
      const own = s.properties && Object.hasOwn(s.properties, key) ? s.properties[key] : undefined;
      if (own) return [own];
      return isObject(s.additionalProperties) ? [s.additionalProperties as JsonSchema] : [];
    });
  }
}

/** A redacted value keeps its shape (how many secrets, which header names), never a value. */
function hidden(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(() => REDACTED);
  if (isObject(value)) return Object.fromEntries(Object.keys(value).map((k) => [k, REDACTED]));
  return REDACTED;
}
