/** Small factories: every test makes its own customers, sources and endpoints. */
import { expect } from "vitest";
import { PROVIDER_NAMES, providers, type ProviderName } from "../../src/providers";
import { withFreshCredentials } from "./adapters";
import { api } from "./api";

let counter = 0;
const unique = (p: string) => `${p}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

export async function createCustomer(name = unique("customer")): Promise<{ id: string; api_key: string; name: string }> {
  const res = await api.post("/v1/customers", { name });
  expect(res.status, res.text).toBe(201);
  return res.body;
}

/** Samples tuned for the tests that use them (fewer options than the adapters' examples). */
const tuned = {
  karmacheck: () => ({
    username: "kc-hooks",
    password: unique("kc-pass"),
    api: { base_url: "https://api-stage.karmacheck.io", api_key: unique("kc-key"), client_access_token: unique("kc-cat") },
  }),
  truework: () => ({ tokens: [unique("tw-token")], api: { base_url: "https://api.truework-sandbox.com", api_key: unique("tw-key") } }),
  casekeeper: () => ({ api: { base_url: "https://casekeeper.example.com", client_id: "relay", client_secret: unique("ck-secret") } }),
  keldair: () => ({ verify: { secret: `whsec_${btoa(unique("keldair-secret").padEnd(24, "x"))}` } }),
  standard: () => ({
    verify: { scheme: "token", header: "x-hook-token", tokens: [unique("std-token")] },
    fields: { case_id: "/case/id", event_id: "/id", type: "/type", version: "/at" },
  }),
  checkr: () => ({ signing_secret: unique("checkr-signing-secret"), api: { base_url: "https://api.checkr-staging.com", api_key: unique("checkr-api-key") } }),
  greenhouse: () => ({ secret: unique("greenhouse-secret"), api: { api_key: unique("harvest-token") } }),
  smartrecruiters: () => ({ secret: [unique("sr-key-new"), unique("sr-key-old")], api: { api_key: unique("sr-smarttoken") } }),
  persona: () => ({ secret: unique("wbhsec_persona"), api: { api_key: unique("persona-api-key") } }),
  sumsub: () => ({ secret: unique("sumsub-webhook-secret"), api: { token: unique("sbx:sumsub-app-token"), secret: unique("sumsub-app-secret") } }),
  veriff: () => ({ api_key: unique("veriff-api-key"), secret: unique("veriff-shared-secret"), api: {} }),
};

/** A config for every provider: a tuned sample, or its adapter's example with fresh credentials. */
export const sampleConfigs: Record<ProviderName, () => Record<string, any>> = {
  ...(Object.fromEntries(PROVIDER_NAMES.map((name) => [name, () => withFreshCredentials(name, structuredClone(providers[name].example), unique)])) as Record<
    ProviderName,
    () => Record<string, any>
  >),
  ...tuned,
};

export type Provider = ProviderName;

export async function createSource(
  customerId: string,
  provider: Provider = "karmacheck",
  config: Record<string, unknown> = sampleConfigs[provider](),
  extra: Record<string, unknown> = {},
) {
  const res = await api.post("/v1/sources", { customer_id: customerId, provider, name: unique(provider), config, ...extra });
  expect(res.status, res.text).toBe(201);
  return { ...res.body, secrets: config } as { id: string; ingest_url: string; customer_id: string; provider: string; secrets: any; config: any };
}

export async function createEndpoint(customerId: string, extra: Record<string, unknown> = {}) {
  const res = await api.post("/v1/endpoints", { customer_id: customerId, url: `https://hooks.example.com/${unique("ep")}`, ...extra });
  expect(res.status, res.text).toBe(201);
  // `secret` is absent for an endpoint that does not sign with v1.
  return res.body as { id: string; secret: string; url: string; customer_id: string; status: string; public_key: string | null; [field: string]: any };
}
