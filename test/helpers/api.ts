/** Calls through the Worker's own fetch handler, as a client would. */
import { exports } from "cloudflare:workers";

export const ADMIN_TOKEN = "test-admin-token-0123456789";
export const BASE = "http://relay.test";

export type ApiResponse<T = any> = { status: number; body: T; headers: Headers; text: string };

export async function request<T = any>(
  method: string,
  path: string,
  opts: { body?: unknown; token?: string | null; headers?: Record<string, string>; raw?: BodyInit } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
  if (token) headers.authorization = `Bearer ${token}`;
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await exports.default.fetch(`${BASE}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: any = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed, headers: res.headers, text };
}

export const api = {
  get: <T = any>(path: string, token?: string | null) => request<T>("GET", path, { token }),
  post: <T = any>(path: string, body?: unknown, token?: string | null) => request<T>("POST", path, { body, token }),
  patch: <T = any>(path: string, body?: unknown, token?: string | null) => request<T>("PATCH", path, { body, token }),
  delete: <T = any>(path: string, token?: string | null) => request<T>("DELETE", path, { token }),
};
