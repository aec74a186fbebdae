import { z } from "zod";

/** How many D1 databases the events index may be spread over. */
export const MAX_INDEX_DATABASES = 16;

/** A comma-separated list of binding names, each once ("" is none). */
function bindingNames(min: number) {
  return z
    .string()
    .transform((v) => (v.trim() ? v.split(",").map((name) => name.trim()) : []))
    .pipe(
      z
        .array(z.string().regex(/^[A-Z][A-Z0-9_]*$/, "a binding name"))
        .min(min)
        .max(MAX_INDEX_DATABASES)
        .refine((names) => new Set(names).size === names.length, "each database once"),
    );
}

const isD1 = (b: unknown) =>
  typeof b === "object" && b !== null && typeof (b as D1Database).prepare === "function" && typeof (b as D1Database).batch === "function";

/** Settings parsed once per isolate from the Worker's env; invalid settings fail closed. */
const ConfigSchema = z.object({
  ENVIRONMENT: z.enum(["production", "development", "test"]).default("production"),
  PUBLIC_BASE_URL: z.union([z.literal(""), z.url()]).default(""),
  ADMIN_TOKEN: z.string().min(16, "ADMIN_TOKEN must be at least 16 characters"),
  ENCRYPTION_KEY: z.base64().refine((k) => atob(k).length === 32, "ENCRYPTION_KEY must be 32 bytes, base64-encoded"),
  DEDUPE_WINDOW_DAYS: z.coerce.number().positive().default(7),
  RECEIPT_BODY_RETENTION_DAYS: z.coerce.number().positive().default(3),
  EVENT_RETENTION_DAYS: z.coerce.number().positive().default(30),
  RECONCILE_BATCH_LIMIT: z.coerce.number().int().min(1).max(500).default(50),
  MAX_SOURCES_PER_CUSTOMER: z.coerce.number().int().min(1).max(10_000).default(50),
  MAX_ENDPOINTS_PER_CUSTOMER: z.coerce.number().int().min(1).max(1_000).default(50),
  ALERT_FAILING_AFTER: z.coerce.number().int().min(1).max(1_000).default(5),
  ALERT_REPEAT_SECONDS: z.coerce.number().int().min(0).max(43_200).default(900),
  // Read where the bindings are wrapped (src/lib/metrics.ts); checked here so a typo fails closed.
  METRICS: z.enum(["on", "off"]).default("off"),
  // The D1 bindings that hold the events index, by name (src/db/index-shards.ts): written and
  // read, or (retired) only read until their rows are past retention.
  INDEX_DATABASES: bindingNames(1).default(["DB"]),
  INDEX_RETIRED_DATABASES: bindingNames(0).default([]),
});

const DAY = 86_400_000;

export type Config = {
  environment: "production" | "development" | "test";
  /** Local development and tests accept http://localhost URLs; production only https. */
  allowLocalUrls: boolean;
  publicBaseUrl: string;
  adminToken: string;
  encryptionKey: string;
  dedupeWindowMs: number;
  bodyRetentionMs: number;
  eventRetentionMs: number;
  reconcileBatchLimit: number;
  maxSourcesPerCustomer: number;
  /** Every event is sent to each matching endpoint by one case object: this bounds one event's fan-out. */
  maxEndpointsPerCustomer: number;
  /** Alerts (src/alerts): failed attempts in a row to one endpoint that open endpoint.failing. */
  alertFailingAfter: number;
  /** Alerts: an issue's escalations are notified at most this often (its opening and resolution at once). */
  alertRepeatMs: number;
  /** The D1 bindings of the events index, in order: an event's UTC day picks one (src/db/index-shards.ts). */
  indexDatabases: string[];
  /** Databases of the events index that take no new rows and are still read (and pruned). */
  indexRetiredDatabases: string[];
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

const cache = new WeakMap<object, Config>();

export function getConfig(env: Env): Config {
  const cached = cache.get(env);
  if (cached) return cached;
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    // Names of the bad settings only: their values may be secrets.
    const names = [...new Set(parsed.error.issues.map((i) => i.path.join(".")))].join(", ");
    throw new ConfigError(`invalid Worker configuration: ${names}`);
  }
  const c = parsed.data;
  const index = [...c.INDEX_DATABASES, ...c.INDEX_RETIRED_DATABASES];
  if (new Set(index).size !== index.length || index.length > MAX_INDEX_DATABASES) {
    throw new ConfigError(`invalid Worker configuration: INDEX_RETIRED_DATABASES (at most ${MAX_INDEX_DATABASES} in all, none also in INDEX_DATABASES)`);
  }
  const unbound = index.find((name) => !isD1((env as unknown as Record<string, unknown>)[name]));
  if (unbound) {
    const setting = c.INDEX_DATABASES.includes(unbound) ? "INDEX_DATABASES" : "INDEX_RETIRED_DATABASES";
    throw new ConfigError(`invalid Worker configuration: ${setting} (${unbound} is not a D1 binding)`);
  }
  const config: Config = {
    environment: c.ENVIRONMENT,
    allowLocalUrls: c.ENVIRONMENT !== "production",
    publicBaseUrl: c.PUBLIC_BASE_URL.replace(/\/+$/, ""),
    adminToken: c.ADMIN_TOKEN,
    encryptionKey: c.ENCRYPTION_KEY,
    dedupeWindowMs: c.DEDUPE_WINDOW_DAYS * DAY,
    bodyRetentionMs: c.RECEIPT_BODY_RETENTION_DAYS * DAY,
    eventRetentionMs: c.EVENT_RETENTION_DAYS * DAY,
    reconcileBatchLimit: c.RECONCILE_BATCH_LIMIT,
    maxSourcesPerCustomer: c.MAX_SOURCES_PER_CUSTOMER,
    maxEndpointsPerCustomer: c.MAX_ENDPOINTS_PER_CUSTOMER,
    alertFailingAfter: c.ALERT_FAILING_AFTER,
    alertRepeatMs: c.ALERT_REPEAT_SECONDS * 1000,
    indexDatabases: c.INDEX_DATABASES,
    indexRetiredDatabases: c.INDEX_RETIRED_DATABASES,
  };
  cache.set(env, config);
  return config;
}
