// `npm start`: local relay on http://localhost:8787 with local D1, Durable Objects and Queues.
// Creates .dev.vars from .dev.vars.example when missing and applies the D1 migrations first.
import { spawnSync, spawn } from "node:child_process";
import { copyFileSync, existsSync } from "node:fs";
import { d1Bindings } from "./lib/relay.mjs";

process.env.WRANGLER_SEND_METRICS ??= "false";
if (!existsSync(".dev.vars")) {
  copyFileSync(".dev.vars.example", ".dev.vars");
  console.log("Created .dev.vars from .dev.vars.example (admin token: caserelay-dev-admin-token).");
}
// Every D1 database wrangler.toml declares: DB, and any of the events index's own.
for (const binding of await d1Bindings()) {
  const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", binding, "--local"], { stdio: "inherit", env: { ...process.env, CI: "true" } });
  if (migrate.status !== 0) process.exit(migrate.status ?? 1);
}
const port = process.env.PORT ?? "8787";
const dev = spawn("wrangler", ["dev", "--port", port, ...process.argv.slice(2)], { stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => dev.kill(signal));
dev.on("exit", (code) => process.exit(code ?? 0));
