// Starts the relay under `wrangler dev` for scripts and end-to-end tests: its own port and local
// state directory, migrations applied, settings from .dev.vars.example, ready when /healthz answers.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WRANGLER = join(ROOT, "node_modules", ".bin", "wrangler");

/**
 * The D1 bindings a wrangler config declares (for `env`, one of its environments), as wrangler
 * itself reads the config: DB and any database of the events index's own. Each has migrations to
 * apply (its `migrations_dir`). A config without DB is refused: nothing would be migrated.
 */
export async function d1Bindings(config = join(ROOT, "wrangler.toml"), env = undefined) {
  const { unstable_readConfig } = await import("wrangler");
  const bindings = unstable_readConfig({ config, env }, { hideWarnings: true }).d1_databases.map((d) => d.binding);
  if (!bindings.includes("DB")) throw new Error(`${config}${env ? ` (env ${env})` : ""} declares no D1 database bound as DB`);
  return bindings;
}

/**
 * Applies the local migrations of every D1 database `config` declares under `dir` (the state
 * `wrangler dev --persist-to dir` uses) as `wrangler d1 migrations apply --local` does: each file of the binding's migrations_dir in
 * order, split into statements as wrangler splits them, recorded in its d1_migrations table. In one
 * process through wrangler's platform proxy: about a second, where one wrangler command per
 * database takes five or more on two cores.
 */
export async function migrateLocally(config, dir) {
  const { getPlatformProxy, unstable_readConfig, unstable_splitSqlQuery } = await import("wrangler");
  const read = unstable_readConfig({ config }, { hideWarnings: true });
  const declared = read.d1_databases;
  // A config of the D1 databases alone (the same ids, so the same files): the proxy then starts
  // nothing else, and warns about none of the Worker's other bindings.
  const only = join(dir, "d1-only.wrangler.json");
  writeFileSync(
    only,
    JSON.stringify({
      name: "caserelay-migrations",
      compatibility_date: read.compatibility_date,
      d1_databases: declared.map(({ binding, database_name, database_id }) => ({ binding, database_name, database_id })),
    }),
  );
  const proxy = await getPlatformProxy({ configPath: only, persist: { path: join(dir, "v3") } });
  try {
    for (const d of declared) {
      const db = proxy.env[d.binding];
      const migrationsDir = join(dirname(config), d.migrations_dir ?? "migrations");
      await db
        .prepare(
          "CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
        )
        .run();
      const applied = new Set((await db.prepare("SELECT name FROM d1_migrations").all()).results.map((r) => r.name));
      for (const name of readdirSync(migrationsDir)
        .filter((f) => f.endsWith(".sql"))
        .sort()) {
        if (applied.has(name)) continue;
        const statements = unstable_splitSqlQuery(readFileSync(join(migrationsDir, name), "utf8"));
        await db.batch([...statements.map((sql) => db.prepare(sql)), db.prepare("INSERT INTO d1_migrations (name) VALUES (?1)").bind(name)]);
      }
    }
  } finally {
    await proxy.dispose();
    rmSync(only, { force: true });
  }
}

/** Settings of .dev.vars.example (the local admin token and encryption key). */
export function devVars() {
  const vars = {};
  for (const line of readFileSync(join(ROOT, ".dev.vars.example"), "utf8").split("\n")) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) vars[m[1]] = m[2];
  }
  return vars;
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export async function isUp(url) {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

export async function waitFor(check, { timeout = 60_000, interval = 100, what = "condition" } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * A command run to its end, bounded: never spawnSync, which would block the event loop (and with
 * it every test timeout) for as long as the command hangs. Resolves with its exit code and output.
 */
export function runCommand(command, args, { env = process.env, timeout = 90_000, what = command } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${what} did not finish within ${timeout} ms:\n${output}`));
    }, timeout);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** runCommand that must succeed: resolves with its output, rejects on any other exit code. */
export async function run(command, args, opts = {}) {
  const { code, output } = await runCommand(command, args, opts);
  if (code !== 0) throw new Error(`${opts.what ?? command} failed (exit ${code}):\n${output}`);
  return output;
}

/** Clock ticks per second of /proc's CPU times (USER_HZ): 100 on every Linux port that matters here. */
const USER_HZ = 100;

/**
 * CPU time (ms) of the workerd processes in a process group (wrangler dev starts its runtime in
 * the group of the wrangler process, which is started detached): the whole pipeline, ingest,
 * consumers and objects, without wrangler's own proxy. Linux only.
 */
function runtimeCpuMs(pgid) {
  if (process.platform !== "linux") return null;
  let ticks = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp ... utime stime: fields 5, 14 and 15, counted after the command name.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const fields = stat.slice(close + 2).split(" ");
    if (Number(fields[2]) !== pgid || !comm.startsWith("workerd")) continue;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return (ticks * 1000) / USER_HZ;
}

/**
 * A relay of its own: `wrangler dev` on a free port with a fresh state directory (or `persistTo`),
 * so it never touches the developer's `npm start` state. `stop()` ends it and removes the state.
 * `config` replaces wrangler.toml; `extraConfigs` run more Workers beside it (the first one serves).
 */
export async function startRelay({ port, persistTo, vars = {}, quiet = true, config, extraConfigs = [] } = {}) {
  port ??= await freePort();
  const inspector = await freePort();
  const dir = persistTo ?? mkdtempSync(join(tmpdir(), "caserelay-"));
  // node_modules/.bin first: wrangler needs the pinned Node 22, whatever node runs this script.
  const env = { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`, WRANGLER_SEND_METRICS: "false", CI: "true" };
  const settings = { ...devVars(), ...vars };
  // Each D1 database the config binds and the relay uses (DB, and the events index's own, if any).
  await migrateLocally(config ?? join(ROOT, "wrangler.toml"), dir);
  const args = [
    "dev",
    ...(config ? ["--config", config] : []),
    ...extraConfigs.flatMap((c) => ["--config", c]),
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--inspector-port",
    String(inspector),
    "--persist-to",
    dir,
    "--show-interactive-dev-session=false",
  ];
  for (const [k, v] of Object.entries(settings)) args.push("--var", `${k}:${v}`);
  const child = spawn(WRANGLER, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  const logs = [];
  const keep = (chunk) => {
    const text = chunk.toString();
    logs.push(text);
    if (logs.length > 2000) logs.splice(0, 1000);
    if (!quiet) process.stderr.write(text);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  let exited = null;
  child.on("exit", (code) => (exited = code));
  try {
    await waitFor(async () => exited !== null || (await isUp(url)), { timeout: 90_000, what: `wrangler dev on ${url}` });
    if (exited !== null) throw new Error(`wrangler dev exited with ${exited}:\n${logs.join("")}`);
  } catch (err) {
    try {
      process.kill(-child.pid, "SIGKILL");
    } catch {}
    throw err;
  }
  return {
    url,
    port,
    stateDir: dir,
    /** The runtime's inspector (Chrome DevTools protocol), for a CPU profile. */
    inspectorPort: inspector,
    adminToken: settings.ADMIN_TOKEN,
    logs,
    /** CPU time (user and system, ms) the runtime's processes of this relay have used so far, or null where /proc is not there. */
    runtimeCpuMs: () => runtimeCpuMs(child.pid),
    async stop() {
      if (exited === null) {
        const done = new Promise((r) => child.once("exit", r));
        try {
          process.kill(-child.pid, "SIGTERM");
        } catch {}
        await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {}
      }
      if (!persistTo) rmSync(dir, { recursive: true, force: true });
    },
  };
}
