/** The provider HTTP client on its own: the outbound policy at fetch time, the response cap, redirects. */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAX_PROVIDER_RESPONSE_BYTES, providerHttp } from "../../src/pipeline/provider-http";
import { caseIdInUrl, refetchTemplate } from "../../src/providers/shared";
import { RefetchError, type ProviderHttp } from "../../src/providers/types";
import { json, stubNetwork, type Network } from "../helpers/net";

let net: Network;
beforeEach(() => {
  net = stubNetwork();
});
afterEach(() => net.restore());

async function refetchError(p: Promise<unknown>): Promise<RefetchError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RefetchError);
  return err as RefetchError;
}

/** A body of `total` bytes in 64 KiB chunks, without a content-length; counts what was pulled. */
function streamed(total: number) {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  const pulled = { bytes: 0, canceled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled.bytes >= total) return controller.close();
      const part = chunk.subarray(0, Math.min(chunk.length, total - pulled.bytes));
      pulled.bytes += part.length;
      controller.enqueue(part);
    },
    cancel() {
      pulled.canceled = true;
    },
  });
  return { body, pulled };
}

describe("outbound policy at fetch time", () => {
  it.each([
    ["https://169.254.169.254/latest/meta-data", "must not point at a private, loopback or link-local address"],
    ["https://10.0.0.7/cases/1", "must not point at a private"],
    ["https://[fd00::1]/cases/1", "must not point at a private"],
    ["https://metadata.google.internal/cases/1", "must not point at a private"],
    ["http://api.example.com/cases/1", "must use https"],
    ["https://user:pass@api.example.com/cases/1", "must not embed credentials"],
  ])("refuses %s without calling it, even outside production", async (url, reason) => {
    const err = await refetchError(providerHttp({ allowLocal: true }).request(url, {}));
    expect(err.retryable).toBe(false);
    expect(err.message).toContain(reason);
    expect(net.calls).toEqual([]);
  });

  it("calls http://localhost only outside production", async () => {
    net.on("http://localhost:9999/", () => json({ ok: true }));
    expect(await providerHttp({ allowLocal: true }).request("http://localhost:9999/case/1", {})).toEqual({ status: 200, body: { ok: true } });
    const err = await refetchError(providerHttp({ allowLocal: false }).request("http://localhost:9999/case/1", {}));
    expect(err.message).toContain("must use https");
    expect(net.calls).toHaveLength(1);
  });

  it("does not follow a redirect, and says so", async () => {
    net.on("https://api.example.com/", () => new Response(null, { status: 302, headers: { location: "https://169.254.169.254/" } }));
    const err = await refetchError(providerHttp({ allowLocal: false }).request("https://api.example.com/case/1", {}));
    expect(err).toMatchObject({ retryable: false, message: expect.stringContaining("redirects are not followed") });
    expect(net.calls.map((c) => c.url)).toEqual(["https://api.example.com/case/1"]);
  });
});

describe("response cap", () => {
  const http = () => providerHttp({ allowLocal: false });

  it("reads a body of exactly 1 MiB", async () => {
    const body = `"${"x".repeat(MAX_PROVIDER_RESPONSE_BYTES - 2)}"`;
    net.on("https://api.example.com/", () => new Response(body, { status: 200 }));
    const res = await http().request("https://api.example.com/case/1", {});
    expect((res.body as string).length).toBe(MAX_PROVIDER_RESPONSE_BYTES - 2);
  });

  it("stops reading a streamed body past 1 MiB, with a reason that is not retried", async () => {
    const s = streamed(50 * MAX_PROVIDER_RESPONSE_BYTES);
    net.on("https://api.example.com/", () => new Response(s.body, { status: 200 }));
    const err = await refetchError(http().request("https://api.example.com/case/1", {}));
    expect(err).toMatchObject({ retryable: false, message: "provider API answered more than 1 MiB" });
    expect(s.pulled.canceled).toBe(true);
    expect(s.pulled.bytes).toBeLessThan(MAX_PROVIDER_RESPONSE_BYTES + 4 * 64 * 1024);
  });

  it("refuses a declared content-length over 1 MiB without reading it", async () => {
    const s = streamed(2 * MAX_PROVIDER_RESPONSE_BYTES);
    net.on("https://api.example.com/", () => new Response(s.body, { status: 200, headers: { "content-length": String(2 * MAX_PROVIDER_RESPONSE_BYTES) } }));
    const err = await refetchError(http().request("https://api.example.com/case/1", {}));
    expect(err.message).toBe("provider API answered more than 1 MiB");
    expect(s.pulled.bytes).toBeLessThanOrEqual(4 * 64 * 1024);
  });

  it("does not read error bodies at all", async () => {
    const s = streamed(50 * MAX_PROVIDER_RESPONSE_BYTES);
    net.on("https://api.example.com/", () => new Response(s.body, { status: 404 }));
    expect(await http().request("https://api.example.com/case/1", {})).toEqual({ status: 404, body: null });
    expect(s.pulled.bytes).toBeLessThanOrEqual(4 * 64 * 1024);
  });
});

describe("refetch templates at fetch time", () => {
  const recorder = () => {
    const urls: string[] = [];
    const http: ProviderHttp = {
      async request(url) {
        urls.push(url);
        return { status: 200, body: {} };
      },
    };
    return { http, urls };
  };

  it("keeps a case id inside its path segment or query value", async () => {
    const r = recorder();
    await refetchTemplate(r.http, { url: "https://api.example.com/things/{case_id}?of={case_id}", headers: {} }, "a/../b?c=1#d%2e%2e");
    expect(r.urls).toEqual(["https://api.example.com/things/a%2F..%2Fb%3Fc%3D1%23d%252e%252e?of=a%2F..%2Fb%3Fc%3D1%23d%252e%252e"]);
    expect(new URL(r.urls[0]!).pathname).toBe("/things/a%2F..%2Fb%3Fc%3D1%23d%252e%252e");
  });

  it.each(["", ".", "..", "..."])("refuses the case id %j, which the URL parser would read as a dot segment", async (id) => {
    const r = recorder();
    const err = await refetchError(refetchTemplate(r.http, { url: "https://api.example.com/things/{case_id}", headers: {} }, id));
    expect(err).toMatchObject({ retryable: false, message: expect.stringContaining("only dots") });
    expect(() => caseIdInUrl(id)).toThrow(RefetchError);
    expect(r.urls).toEqual([]);
  });

  it.each([
    ["https://169.254.169.{case_id}/latest", "254"],
    ["https://{case_id}.{case_id}/", "internal"],
    ["https://api.example.com:{case_id}/x", "8080"],
  ])("refuses a stored template %s that lets the case id choose the host", async (url, id) => {
    const r = recorder();
    const err = await refetchError(refetchTemplate(r.http, { url, headers: {} }, id));
    expect(err).toMatchObject({ retryable: false, message: expect.stringContaining("puts {case_id} in the host") });
    expect(r.urls).toEqual([]);
  });
});
