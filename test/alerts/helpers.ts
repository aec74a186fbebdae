/** What the alert tests share: issues as D1 holds them, and alert endpoints that record and verify what they receive. */
import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { api } from "../helpers/api";
import type { Network } from "../helpers/net";

export type IssueRow = {
  id: string;
  kind: string;
  status: string;
  subject_id: string;
  customer_id: string;
  count: number;
  revision: number;
  notified_revision: number;
  resolved_by: string | null;
  resolution: string | null;
  open_key: string | null;
};

/** Every issue row of a subject (pending streaks included), oldest first. */
export async function issuesOf(subjectId: string, kind?: string): Promise<IssueRow[]> {
  const rows = await env.DB.prepare("SELECT * FROM issues WHERE subject_id = ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY id")
    .bind(subjectId, kind ?? null)
    .all<IssueRow>();
  return rows.results;
}

export type Alert = { id: string; timestamp: string; raw: string; body: any; verified: boolean };

/** An alert endpoint at `url` on the stubbed network: records each notification, verifies it with standardwebhooks, answers as scripted. */
export function alertReceiver(net: Network, url: string) {
  const got: Alert[] = [];
  let secret = "";
  let respond: (a: Alert) => Response | Promise<Response> = () => new Response("ok");
  net.on(url, async (_req, call) => {
    const headers = {
      "webhook-id": call.headers["webhook-id"] ?? "",
      "webhook-timestamp": call.headers["webhook-timestamp"] ?? "",
      "webhook-signature": call.headers["webhook-signature"] ?? "",
    };
    let verified = false;
    try {
      new Webhook(secret).verify(call.body, headers);
      verified = true;
    } catch {
      verified = false;
    }
    const a: Alert = { id: headers["webhook-id"], timestamp: headers["webhook-timestamp"], raw: call.body, body: JSON.parse(call.body), verified };
    got.push(a);
    return respond(a);
  });
  return {
    got,
    url,
    setSecret(s: string) {
      secret = s;
    },
    respond(fn: typeof respond) {
      respond = fn;
    },
    /** Notifications about one issue subject. */
    about(subjectId: string) {
      return got.filter((a) => a.body.data.issue.subject.id === subjectId);
    },
  };
}

/** Registers an alert endpoint (the operator's without a key, else the key's customer's) on a recording receiver. */
export async function alertEndpoint(net: Network, opts: { token?: string; kinds?: string[]; customer_id?: string } = {}) {
  const url = `https://alerts.example.com/${crypto.randomUUID()}`;
  const receiver = alertReceiver(net, url);
  const res = await api.post(
    "/v1/alert-endpoints",
    { url, ...(opts.kinds ? { kinds: opts.kinds } : {}), ...(opts.customer_id ? { customer_id: opts.customer_id } : {}) },
    opts.token,
  );
  if (res.status !== 201) throw new Error(`alert endpoint not created: ${res.status} ${res.text}`);
  receiver.setSecret(res.body.secret);
  return {
    ...receiver,
    endpoint: res.body as { id: string; secret: string; customer_id: string | null },
    remove: () => api.delete(`/v1/alert-endpoints/${res.body.id}`),
  };
}
