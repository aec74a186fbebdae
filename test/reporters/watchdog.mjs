/**
 * A reporter that keeps a hung run from hanging CI. It says which test files are still running
 * once one has run for STALL_MS (and again every STALL_MS after), and ends the run with a failure
 * after RUN_LIMIT_MS, naming them: a test blocked in synchronous code, or a worker that never
 * returns, cannot be stopped by vitest's own per-test timeouts. A normal run takes 3 to 5 minutes.
 */

const STALL_MS = Number(process.env.WATCHDOG_STALL_MS ?? 3 * 60_000);
const RUN_LIMIT_MS = Number(process.env.WATCHDOG_RUN_LIMIT_MS ?? 20 * 60_000);

/** @implements {import("vitest/node").Reporter} */
export default class Watchdog {
  running = new Map();
  timer = undefined;
  startedAt = Date.now();
  lastEnd = Date.now();
  lastReport = 0;

  onTestRunStart() {
    this.startedAt = Date.now();
    this.lastEnd = this.startedAt;
    this.timer = setInterval(() => this.check(), Math.min(30_000, STALL_MS / 2));
    this.timer.unref();
  }

  onTestModuleStart(m) {
    this.running.set(`${m.project.name}: ${m.relativeModuleId}`, Date.now());
  }

  onTestModuleEnd(m) {
    this.running.delete(`${m.project.name}: ${m.relativeModuleId}`);
    this.lastEnd = Date.now();
  }

  onTestRunEnd() {
    clearInterval(this.timer);
  }

  still(now) {
    return [...this.running].map(([file, since]) => `  ${file} (running for ${Math.round((now - since) / 1000)} s)`).join("\n");
  }

  check() {
    const now = Date.now();
    if (now - this.startedAt > RUN_LIMIT_MS) {
      process.stderr.write(
        `\nwatchdog: the run passed ${Math.round(RUN_LIMIT_MS / 1000)} s; ending it. Still running:\n${this.still(now) || "  (no test file: vitest itself)"}\n`,
      );
      process.exit(1);
    }
    const stalled = [...this.running.values()].some((since) => now - since > STALL_MS) || (!this.running.size && now - this.lastEnd > STALL_MS);
    if (stalled && now - this.lastReport >= STALL_MS) {
      this.lastReport = now;
      process.stderr.write(
        `\nwatchdog: still running after ${Math.round((now - this.startedAt) / 1000)} s:\n${this.still(now) || "  (no test file: vitest itself)"}\n`,
      );
    }
  }
}
