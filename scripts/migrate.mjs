// npm run db:migrate:local | db:migrate:remote: applies the migrations of every D1 database
// wrangler.toml declares: DB (migrations/) and each database of the events index's own
// (migrations/index/, README "Scaling the index"), so none is deployed without its tables.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { d1Bindings, ROOT } from "./lib/relay.mjs";

//   node scripts/migrate.mjs --local | --remote [--env NAME]   (an environment's own databases)
const argv = process.argv.slice(2);
const where = argv.includes("--remote") ? "--remote" : "--local";
const envAt = argv.indexOf("--env");
const env = envAt >= 0 ? argv[envAt + 1] : undefined;
const wrangler = join(ROOT, "node_modules", ".bin", "wrangler");
for (const binding of await d1Bindings(undefined, env)) {
  console.log(`${binding}: applying its migrations (${where.slice(2)}${env ? `, env ${env}` : ""})`);
  // wrangler's own output and prompts, as if run by hand.
  const code = await new Promise((resolve, reject) => {
    const args = ["d1", "migrations", "apply", binding, where, ...(env ? ["--env", env] : [])];
    const child = spawn(wrangler, args, { cwd: ROOT, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) {
    console.error(`${binding}: wrangler d1 migrations apply exited with ${code}; later databases were not migrated.`);
    process.exit(code ?? 1);
  }
}
