// npm run db:migrate:local | db:migrate:remote: applies the migrations of every D1 database
// wrangler.toml declares: DB (migrations/) and each database of the events index's own
// (migrations/index/, README "Scaling the index"), so none is deployed without its tables.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { d1Bindings, ROOT } from "./lib/relay.mjs";

const where = process.argv.includes("--remote") ? "--remote" : "--local";
const wrangler = join(ROOT, "node_modules", ".bin", "wrangler");
for (const binding of d1Bindings()) {
  console.log(`${binding}: applying its migrations (${where.slice(2)})`);
  // wrangler's own output and prompts, as if run by hand.
  const code = await new Promise((resolve, reject) => {
    const child = spawn(wrangler, ["d1", "migrations", "apply", binding, where], { cwd: ROOT, stdio: "inherit" });
    child.on("error", reject);
    child.on("exit", resolve);
  });
  if (code !== 0) {
    console.error(`${binding}: wrangler d1 migrations apply exited with ${code}; later databases were not migrated.`);
    process.exit(code ?? 1);
  }
}
