// Runs vitest on a fixture config in a child process, bounded, for the watchdog's test.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "../../scripts/lib/relay.mjs";

export function vitestRun(config, env = {}, timeoutMs = 30_000) {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, "node_modules", ".bin", "vitest"), ["run", "--config", config], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`vitest did not end within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}
