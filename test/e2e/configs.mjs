// A wrangler config of a test's own, beside wrangler.toml (so its relative paths still resolve), removed after.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../scripts/lib/relay.mjs";

export async function withConfig(text, fn) {
  const file = join(ROOT, `.test.${process.pid}.${Math.random().toString(36).slice(2, 8)}.wrangler.toml`);
  writeFileSync(file, text);
  try {
    return await fn(file);
  } finally {
    rmSync(file, { force: true });
  }
}

/** wrangler.toml's text, with `extra` appended. */
export function wranglerToml(extra = "") {
  return `${readWrangler()}\n${extra}`;
}

const readWrangler = () => readFileSync(join(ROOT, "wrangler.toml"), "utf8");
