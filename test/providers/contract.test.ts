/**
 * The contract every adapter keeps with the rest of the relay, checked over the registry: a new
 * adapter is held to it by adding its registry line, with nothing else to list anywhere.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import type { SourceRecord } from "../../src/db/control-plane";
import { adapterFor, configProblems, PROVIDER_NAMES, providers, redactConfig, REDACTED, resolveSource } from "../../src/providers";
import { sampleConfigs } from "../helpers/factories";
import { ConfigShape, credential, outboundUrl } from "../../src/providers/config-shape";
import { credentialValues, fixturesOf, leaves } from "../helpers/adapters";

/** Key names that hold credentials in every vendor's vocabulary: such a field left visible is a forgotten mark. */
const CREDENTIAL_KEY = /(^|_)(secret|password|token|tokens|api_key|key)$/;
const looksLikeCredential = (path: string[]) => {
  const named = path.filter((k) => !/^\d+$/.test(k));
  return CREDENTIAL_KEY.test(named.at(-1) ?? "") || named.slice(0, -1).includes("headers");
};

describe.each(PROVIDER_NAMES)("the %s adapter", (name) => {
  const adapter = adapterFor(name)!;

  it("is registered under its own name", () => {
    expect(adapter.name).toBe(name);
    expect(providers[name]).toBe(adapter);
  });

  it("has an example config its schema accepts as it would from a customer", () => {
    const parsed = adapter.configSchema.safeParse(adapter.example);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
  });

  it("marks every credential in its config, and only credentials", () => {
    const redacted = redactConfig(name, adapter.example);
    const secrets = credentialValues(name, adapter.example);
    expect(secrets.length).toBeGreaterThan(0);
    const text = JSON.stringify(redacted);
    for (const secret of secrets) expect(text).not.toContain(secret);
    for (const leaf of leaves(redacted)) {
      if (looksLikeCredential(leaf.path)) expect(leaf.value, `${name}: ${leaf.path.join(".")} looks like a credential`).toBe(REDACTED);
      else expect(leaf.value, `${name}: ${leaf.path.join(".")} is no credential`).not.toBe(REDACTED);
    }
  });

  it("marks every URL of its config that the relay calls, so the outbound policy judges each", () => {
    const config = adapter.example;
    const marked = new ConfigShape(adapter.configSchema).outboundUrls(config).map((u) => u.url);
    for (const leaf of leaves(config)) {
      if (typeof leaf.value === "string" && /^https?:\/\//.test(leaf.value)) expect(marked, `${name}: ${leaf.path.join(".")}`).toContain(leaf.value);
    }
    expect(configProblems(name, config, { allowLocalUrls: false })).toEqual([]);
    // Each marked URL pointed at an internal address is refused, by its path.
    for (const { path } of new ConfigShape(adapter.configSchema).outboundUrls(config)) {
      const bad = structuredClone(config) as Record<string, any>;
      const keys = path.split(".");
      let at: Record<string, any> = bad;
      for (const k of keys.slice(0, -1)) at = at[k];
      const last = keys.at(-1)!;
      at[last] = String(at[last]).replace(/^https?:\/\/[^/]+/, "https://169.254.169.254");
      expect(
        configProblems(name, bad, { allowLocalUrls: false }).map((p) => p.path),
        `${name}: ${path}`,
      ).toContain(path);
    }
  });

  it("has published webhook examples in test/fixtures, each accepted by parse", () => {
    const fixtures = fixturesOf(name);
    expect(fixtures.length, `add test/fixtures/${name}-*.json`).toBeGreaterThan(0);
    const config = adapter.configSchema.parse(adapter.example);
    for (const f of fixtures) {
      const result = adapter.parse({ headers: new Headers(f.headers), rawBody: JSON.stringify(f.body), json: f.body, now: 1_750_000_000 }, config);
      expect(result.ok, `${f.file}: ${JSON.stringify(!result.ok && result.issues)}`).toBe(true);
    }
  });
});

describe("redaction by the adapter's marks", () => {
  const schema = z.strictObject({
    name: z.string(),
    secret: credential(z.union([z.string(), z.array(z.string())])),
    verify: z.union([
      z.strictObject({ scheme: z.literal("token"), header: z.string(), tokens: z.array(credential(z.string())) }),
      z.strictObject({ scheme: z.literal("basic"), username: z.string(), password: credential(z.string()) }),
    ]),
    headers: credential(z.record(z.string(), z.string())).optional(),
    api: z.strictObject({ base_url: z.url().transform((u) => u.replace(/\/+$/, "")), api_key: credential(z.string()) }).optional(),
  });
  const redactor = new ConfigShape(schema);

  it("keeps the shape of what it hides: how many secrets, which header names", () => {
    expect(
      redactor.redact({
        name: "n",
        secret: ["a", "b"],
        verify: { scheme: "token", header: "x-token", tokens: ["t1", "t2", "t3"] },
        headers: { authorization: "Bearer x", "x-api-key": "k" },
        api: { base_url: "https://api.example.com/", api_key: "k" },
      }),
    ).toEqual({
      name: "n",
      secret: [REDACTED, REDACTED],
      verify: { scheme: "token", header: "x-token", tokens: [REDACTED, REDACTED, REDACTED] },
      headers: { authorization: REDACTED, "x-api-key": REDACTED },
      api: { base_url: "https://api.example.com/", api_key: REDACTED },
    });
  });

  it("hides a field marked in any branch of a union", () => {
    expect(redactor.redact({ name: "n", secret: "s", verify: { scheme: "basic", username: "u", password: "p" } })).toEqual({
      name: "n",
      secret: REDACTED,
      verify: { scheme: "basic", username: "u", password: REDACTED },
    });
  });

  it("hides what the schema does not describe, and a whole secret object", () => {
    expect(redactor.redact({ name: "n", secret: { nested: "s" }, verify: {}, legacy_credential: "old", api: { extra: { deep: "x" } } })).toEqual({
      name: "n",
      secret: { nested: REDACTED },
      verify: {},
      legacy_credential: REDACTED,
      api: { extra: { deep: REDACTED } },
    });
  });

  it("finds the URLs marked as outbound, in every branch and list", () => {
    const withUrls = z.strictObject({
      api: z.strictObject({ base_url: outboundUrl(z.string()), docs: z.string() }),
      mirrors: z.array(outboundUrl(z.string())),
      refetch: z.union([z.strictObject({ url: outboundUrl(z.string()) }), z.strictObject({ path: z.string() })]),
    });
    expect(
      new ConfigShape(withUrls).outboundUrls({ api: { base_url: "https://a", docs: "https://d" }, mirrors: ["https://m"], refetch: { url: "https://r" } }),
    ).toEqual([
      { path: "api.base_url", url: "https://a" },
      { path: "mirrors.0", url: "https://m" },
      { path: "refetch.url", url: "https://r" },
    ]);
  });

  it("hides everything of an unknown provider", () => {
    expect(redactConfig("no-such-provider", { a: 1 })).toBe(REDACTED);
  });
});

describe("resolving a source", () => {
  const record = (config: Record<string, unknown>, id = `src_${crypto.randomUUID()}`) => ({
    row: { id, provider: "karmacheck", customerId: "cus_t" } as SourceRecord["row"],
    config,
  });

  it("parses a config once per isolate while its stored text stays the same, and again when it changes", () => {
    const first = record(sampleConfigs.karmacheck());
    const a = resolveSource(first);
    const b = resolveSource({ row: first.row, config: structuredClone(first.config) });
    expect(b.config).toBe(a.config);
    const changed = { ...first.config, username: "someone-else" };
    const c = resolveSource({ row: first.row, config: changed });
    expect(c.config).not.toBe(a.config);
    expect((c.config as { username: string }).username).toBe("someone-else");
    // Shared by every case of the source: nobody can change it under the others.
    expect(() => {
      (c.config as { username: string }).username = "changed";
    }).toThrow(TypeError);
  });
});
