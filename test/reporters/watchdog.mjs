/**
 * A reporter that keeps a hung run from hanging CI.
 *
 * - Once a test file has run for STALL_MS, it says which files are still running (and again every
 *   STALL_MS): a test blocked in synchronous code cannot be stopped by vitest's own timeouts.
 * - After RUN_LIMIT_MS it ends the run with a failure, naming what still runs.
 * - Teardown: seen here about one run in five, the Workers pool's last runners never report that
 *   they stopped after every test file had finished (workerd idle, nothing left to run), and vitest
 *   waits for them for ever. TEARDOWN_MS after the last file finished, the run ends with the files'
 *   own verdict (exit 1 if any failed or vitest caught an error), saying so; likewise when vitest
 *   has reported the run's result but does not exit.
 *
 * A normal `npm test` takes 3 to 5 minutes.
 */

const STALL_MS = Number(process.env.WATCHDOG_STALL_MS ?? 3 * 60_000);
const RUN_LIMIT_MS = Number(process.env.WATCHDOG_RUN_LIMIT_MS ?? 20 * 60_000);
// A normal run exits within about 3 s of its last file (wall time less vitest's Duration, startup included).
const TEARDOWN_MS = Number(process.env.WATCHDOG_TEARDOWN_MS ?? 10_000);

/** @implements {import("vitest/node").Reporter} */
export default class Watchdog {
  running = new Map();
  timer = undefined;
  startedAt = Date.now();
  lastEnd = Date.now();
  lastReport = 0;
  vitest = undefined;
  expected = 0;
  finished = 0;
  failed = [];
  tests = 0;
  endedAt = 0;
  verdict = false;

  onInit(vitest) {
    this.vitest = vitest;
  }

  onTestRunStart(specifications) {
    this.startedAt = Date.now();
    this.lastEnd = this.startedAt;
    this.expected = specifications.length;
    this.timer = setInterval(() => this.check(), Math.min(30_000, STALL_MS / 2, TEARDOWN_MS / 2));
    this.timer.unref();
  }

  onTestModuleStart(m) {
    this.running.set(`${m.project.name}: ${m.relativeModuleId}`, Date.now());
  }

  onTestModuleEnd(m) {
    this.running.delete(`${m.project.name}: ${m.relativeModuleId}`);
    this.lastEnd = Date.now();
    this.finished++;
    this.tests += [...m.children.allTests()].length;
    if (m.state() === "failed") this.failed.push(m.relativeModuleId);
  }

  onTestRunEnd(_modules, errors, reason) {
    this.endedAt = Date.now();
    this.verdict = reason === "passed" && !errors.length;
  }

  still(now) {
    return (
      [...this.running].map(([file, since]) => `  ${file} (running for ${Math.round((now - since) / 1000)} s)`).join("\n") || "  (no test file: vitest itself)"
    );
  }

  check() {
    const now = Date.now();
    if (this.endedAt) {
      // The run reported its result; only vitest's own closing is left (the timer does not keep it alive).
      if (now - this.endedAt > TEARDOWN_MS) {
        process.stderr.write(
          `\nwatchdog: the run ended ${Math.round((now - this.endedAt) / 1000)} s ago but vitest has not exited: exiting with its result.\n`,
        );
        process.exit(this.verdict ? 0 : 1);
      }
      return;
    }
    if (this.expected > 0 && this.finished >= this.expected && !this.running.size && now - this.lastEnd > TEARDOWN_MS) {
      const errors = this.vitest?.state.getUnhandledErrors().length ?? 0;
      const ok = !this.failed.length && !errors;
      process.stderr.write(
        `\nwatchdog: every test file finished ${Math.round((now - this.lastEnd) / 1000)} s ago, but vitest's teardown has not: ending the run.\n` +
          `  ${this.finished} files, ${this.tests} tests; ${this.failed.length ? `failed: ${this.failed.join(", ")}` : "no file failed"}; ${errors} unhandled errors.\n`,
      );
      process.exit(ok ? 0 : 1);
    }
    if (now - this.startedAt > RUN_LIMIT_MS) {
      process.stderr.write(`\nwatchdog: the run passed ${Math.round(RUN_LIMIT_MS / 1000)} s; ending it. Still running:\n${this.still(now)}\n`);
      process.exit(1);
    }
    const stalled = [...this.running.values()].some((since) => now - since > STALL_MS) || (!this.running.size && now - this.lastEnd > STALL_MS);
    if (stalled && now - this.lastReport >= STALL_MS) {
      this.lastReport = now;
      process.stderr.write(`\nwatchdog: still running after ${Math.round((now - this.startedAt) / 1000)} s:\n${this.still(now)}\n`);
    }
  }
}
