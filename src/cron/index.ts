/**
 * Cron Triggers, every 5 minutes: flag silent sources, reconcile due cases, hand held and
 * recovering deliveries to their case objects, tidy and re-announce alerts; the first run of each
 * hour also enforces the index's retention. Each step is bounded and state-driven, so whatever a run does not finish is
 * picked up by the next one. (Retries are each case object's own, on its alarm.)
 */
import { alertHousekeeping } from "../alerts/housekeeping";
import { getConfig } from "../lib/config";
import { errorSummary, log } from "../lib/log";
import { reconcileDueCases } from "./reconcile";
import { enforceRetention } from "../services/retention";
import { flagSilentSources } from "./silence";
import { releaseAndRecover } from "../services/fanout";

export type CronSummary = Record<string, number | string>;

export async function runCron(env: Env, scheduledTime: number, options: { retention?: boolean } = {}): Promise<CronSummary> {
  const started = Date.now();
  const config = getConfig(env);
  const summary: CronSummary = {};
  const step = async (name: string, fn: () => Promise<Record<string, number>>) => {
    try {
      for (const [k, v] of Object.entries(await fn())) summary[`${name}_${k}`] = v;
    } catch (err) {
      summary[`${name}_error`] = errorSummary(err);
    }
  };
  await step("silence", () => flagSilentSources(env, scheduledTime));
  await step("reconcile", () => reconcileDueCases(env, scheduledTime, config.reconcileBatchLimit));
  await step("deliveries", () => releaseAndRecover(env));
  await step("alerts", () => alertHousekeeping(env, scheduledTime, config));
  if (options.retention ?? new Date(scheduledTime).getUTCMinutes() < 5) {
    await step("retention", () => enforceRetention(env, scheduledTime, config));
  }
  log(Object.keys(summary).some((k) => k.endsWith("_error")) ? "error" : "info", "cron run", { ...summary, duration_ms: Date.now() - started });
  return summary;
}
