/**
 * A scripted network: provider APIs and customer endpoints answered by handlers, every outbound
 * fetch of the Worker, its queue consumers and its Durable Objects recorded (vi.spyOn on fetch
 * reaches all of them in the Vitest integration).
 */
import { vi } from "vitest";

export type Call = { url: string; method: string; headers: Record<string, string>; body: string; at: number };
type Handler = (req: Request, call: Call) => Response | Promise<Response>;

export function stubNetwork() {
  const routes: { prefix: string; handler: Handler }[] = [];
  const calls: Call[] = [];
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const body = req.method === "GET" || req.method === "HEAD" ? "" : new TextDecoder().decode(await req.clone().arrayBuffer());
    const call: Call = { url: req.url, method: req.method, headers: Object.fromEntries(req.headers), body, at: Date.now() };
    calls.push(call);
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
    restore() {
      spy.mockRestore();
    },
  };
}

export type Network = ReturnType<typeof stubNetwork>;

export const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
