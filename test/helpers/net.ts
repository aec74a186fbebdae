/**
 * A scripted network: provider APIs and customer endpoints answered by handlers, every outbound
 * fetch of the Worker, its queue consumers and its Durable Objects recorded (vi.spyOn on fetch
 * reaches all of them in the Vitest integration).
 *
 * Every delivery the relay makes (a request with a `webhook-id` header: an event, or an alert
 * notification) is checked against the OpenAPI `webhooks` schema of its type, so every test that delivers checks the catalog too:
 * `restore()` (each test's afterEach) fails the test if one did not match.
 */
import { vi } from "vitest";
import { ALERT_TYPES } from "../../src/domain/issues";
import { NotificationSchema } from "../../src/alerts/view";
import { WEBHOOK_SCHEMAS } from "../../src/domain/envelope";

export type Call = { url: string; method: string; headers: Record<string, string>; body: string; at: number };
type Handler = (req: Request, call: Call) => Response | Promise<Response>;

export function stubNetwork() {
  const routes: { prefix: string; handler: Handler }[] = [];
  const calls: Call[] = [];
  const offCatalog: string[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const body = req.method === "GET" || req.method === "HEAD" ? "" : new TextDecoder().decode(await req.clone().arrayBuffer());
    const call: Call = { url: req.url, method: req.method, headers: Object.fromEntries(req.headers), body, at: Date.now() };
    calls.push(call);
    if (call.headers["webhook-id"] && call.headers["user-agent"]?.startsWith("caserelay/")) {
      const problem = catalogProblem(call.body);
      if (problem) offCatalog.push(`${call.url}: ${problem}`);
    }
    const route = routes.filter((r) => req.url.startsWith(r.prefix)).sort((a, b) => b.prefix.length - a.prefix.length)[0];
    if (!route) throw new TypeError(`network error: no stub for ${req.method} ${req.url}`);
    return route.handler(req, call);
  });
  return {
    calls,
    on(prefix: string, handler: Handler) {
      routes.push({ prefix, handler });
      return this;
    },
    callsTo(prefix: string) {
      return calls.filter((c) => c.url.startsWith(prefix));
    },
    /** Deliveries whose body did not match its event type's webhooks schema. */
    offCatalog,
    restore() {
      spy.mockRestore();
      if (offCatalog.length) throw new Error(`deliveries outside the event catalog:\n${offCatalog.join("\n")}`);
    },
  };
}

export type Network = ReturnType<typeof stubNetwork>;

/** Why a delivered body does not match the webhooks schema of its `type`, or null. */
export function catalogProblem(raw: string): string | null {
  let body: { type?: unknown };
  try {
    body = JSON.parse(raw);
  } catch {
    return "the body is not JSON";
  }
  const schema = (ALERT_TYPES as readonly unknown[]).includes(body.type) ? NotificationSchema : WEBHOOK_SCHEMAS[body.type as keyof typeof WEBHOOK_SCHEMAS];
  if (!schema) return `no event type ${JSON.stringify(body.type)} in the catalog`;
  const result = schema.safeParse(body);
  return result.success ? null : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
}

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
