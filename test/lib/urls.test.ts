import { describe, expect, it } from "vitest";
import { checkOutboundUrl } from "../../src/lib/urls";

describe("outbound URL policy", () => {
  it.each(["https://hooks.example.com/x", "https://api.karmacheck.io", "https://8.8.8.8/hook", "https://[2606:4700::1111]/hook"])(
    "allows %s when deployed",
    (url) => {
      expect(checkOutboundUrl(url, false).ok).toBe(true);
    },
  );

  it.each([
    ["http://hooks.example.com/x", "https"],
    ["http://localhost:8787/x", "https"],
    ["https://localhost/x", "private"],
    ["https://127.0.0.1/x", "private"],
    ["https://2130706433/x", "private"],
    ["https://0x7f.1/x", "private"],
    ["https://[::1]/x", "private"],
    ["https://[::ffff:10.0.0.1]/x", "private"],
    ["https://[fe80::1]/x", "private"],
    ["https://169.254.169.254/latest/meta-data", "private"],
    ["https://100.64.0.1/x", "private"],
    ["https://172.16.5.4/x", "private"],
    ["https://0.0.0.0/x", "private"],
    ["https://intranet/x", "private"],
    ["https://db.internal/x", "private"],
    ["https://printer.local/x", "private"],
    ["https://u:p@example.com/x", "credentials"],
  ])("refuses %s when deployed", (url, reason) => {
    const v = checkOutboundUrl(url, false);
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.reason).toContain(reason);
  });

  it("allows http://localhost and 127.0.0.1 only in local development", () => {
    expect(checkOutboundUrl("http://localhost:9000/x", true).ok).toBe(true);
    expect(checkOutboundUrl("http://127.0.0.1:9000/x", true).ok).toBe(true);
    expect(checkOutboundUrl("http://10.0.0.1/x", true).ok).toBe(false);
    expect(checkOutboundUrl("http://example.com/x", true).ok).toBe(false);
  });
});
