/** A relay set up for one test: a customer, a source, an endpoint, fake provider APIs and a receiving endpoint. */
import { Webhook } from "standardwebhooks";
import type { Envelope } from "../../src/domain";
import { request } from "./api";
import { createCustomer, createEndpoint, createSource } from "./factories";
import { catalogProblem, json, type Network } from "./net";
import { verifiesV1a } from "./sign";

export const KC_BASE = "https://api-stage.karmacheck.io";

export type Received = {
  id: string;
  timestamp: string;
  signature: string;
  raw: string;
  body: Envelope;
  /** The v1 signature verifies with the official standardwebhooks library. */
  verified: boolean;
  /** A v1a signature verifies with one of the receiver's whpk_ public keys (false without any). */
  verifiedV1a: boolean;
  /** Null: the body matches the OpenAPI webhooks schema of its type (else why not). */
  catalogProblem: string | null;
};

/**
 * A customer endpoint: records each request, verifies it with the official standardwebhooks
 * library (v1) and with the given whpk_ public keys (v1a), checks the body against the event
 * catalog, answers as scripted.
 */
export function receiver(net: Network, url: string, secret: () => string, opts: { publicKeys?: () => string[] } = {}) {
  const got: Received[] = [];
  let respond: (n: number, r: Received) => Response | Promise<Response> = () => new Response("ok");
  net.on(url, async (_req, call) => {
    const headers = {
      "webhook-id": call.headers["webhook-id"]!,
      "webhook-timestamp": call.headers["webhook-timestamp"]!,
      "webhook-signature": call.headers["webhook-signature"]!,
    };
    let verified = false;
    try {
      new Webhook(secret()).verify(call.body, headers);
      verified = true;
    } catch {
      verified = false;
    }
    let verifiedV1a = false;
    for (const key of opts.publicKeys?.() ?? [])
      verifiedV1a ||= await verifiesV1a(key, headers["webhook-id"], headers["webhook-timestamp"], call.body, headers["webhook-signature"]);
    const r: Received = {
      id: headers["webhook-id"],
      timestamp: headers["webhook-timestamp"],
      signature: headers["webhook-signature"],
      raw: call.body,
      body: JSON.parse(call.body),
      verified,
      verifiedV1a,
      catalogProblem: catalogProblem(call.body),
    };
    got.push(r);
    return respond(got.length, r);
  });
  return {
    got,
    respond(fn: typeof respond) {
      respond = fn;
    },
    /** Deliveries acknowledged (2xx) so far are tracked by the test through `respond`; these are all received. */
    forCase(caseId: string) {
      return got.filter((g) => g.body.data.case_id === caseId);
    },
  };
}

/** A KarmaCheck API whose cases the test sets; counts calls; can fail or hang on demand. */
export function fakeKarmaCheck(net: Network, base = KC_BASE) {
  const cases = new Map<string, Record<string, unknown>>();
  const stats = { auth: 0, fetches: [] as string[] };
  const failures = new Map<string, number>();
  const hangs = new Map<string, Promise<void>>();
  net.on(`${base}/auth/api`, async () => {
    stats.auth++;
    return json({ token: `jwt-${stats.auth}` });
  });
  net.on(`${base}/case/id/`, async (req) => {
    const id = decodeURIComponent(new URL(req.url).pathname.split("/").pop() ?? "");
    stats.fetches.push(id);
    await hangs.get(id);
    const fail = failures.get(id) ?? 0;
    if (fail > 0) {
      failures.set(id, fail - 1);
      return new Response("upstream busy", { status: 503 });
    }
    const c = cases.get(id);
    return c ? json({ cases: [c] }) : new Response("forbidden", { status: 403 });
  });
  return {
    cases,
    stats,
    set(id: string, primary: string, secondary: string | null, modStamp: string, extra: Record<string, unknown> = {}) {
      cases.set(id, { id, caseStatus: primary, secondaryStatus: secondary, modStamp, groupProfileId: "group-1", ...extra });
    },
    failNext(id: string, times: number) {
      failures.set(id, times);
    },
    hang(id: string): () => void {
      let release!: () => void;
      hangs.set(id, new Promise<void>((r) => (release = r)));
      return () => {
        hangs.delete(id);
        release();
      };
    },
  };
}

export function kcCaseEvent(caseId: string, modStamp: string, primary: string, secondary: string | null, extra: Record<string, unknown> = {}) {
  return {
    messageId: crypto.randomUUID(),
    event: "case.statuschange",
    apiTrackingCode: null,
    apiTrackingUser: null,
    username: "kc-hooks",
    password: "kc-password-123",
    eventObject: {
      id: caseId,
      caseStatusId: `st-${primary}`,
      caseStatus: primary,
      secondaryCaseStatusId: secondary ? `sec-${secondary}` : null,
      secondaryStatus: secondary,
      modStamp,
      groupProfileId: "group-1",
      ...extra,
    },
  };
}

/** A customer with a KarmaCheck source (body credentials + API) and one endpoint on a recording receiver. */
export async function karmacheckRelay(net: Network, opts: { endpointFilter?: Record<string, unknown>; extraEndpoints?: number } = {}) {
  const customer = await createCustomer();
  const source = await createSource(customer.id, "karmacheck", {
    username: "kc-hooks",
    password: "kc-password-123",
    api: { base_url: KC_BASE, api_key: "kc-api-key-123", client_access_token: "kc-client-token-123" },
  });
  const api = fakeKarmaCheck(net);
  const endpoint = await createEndpoint(customer.id, { url: `https://hooks.example.com/${customer.id}`, filter: opts.endpointFilter ?? {} });
  const secret = { value: endpoint.secret };
  const hook = receiver(net, endpoint.url, () => secret.value);
  return {
    customer,
    source,
    api,
    endpoint,
    hook,
    secret,
    send: (body: unknown) => request("POST", `/in/${source.id}`, { token: null, raw: JSON.stringify(body), headers: { "content-type": "application/json" } }),
  };
}
