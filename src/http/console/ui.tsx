/**
 * Small shared pieces of the console's pages. Everything shown goes through Hono JSX, which escapes
 * text and attribute values; provider data is always turned into a string first (never rendered as
 * an object, and never through raw()).
 */
import type { Child } from "hono/jsx";

/** JSON longer than this is cut in the page (the API has it whole). */
const JSON_MAX_CHARS = 100_000;

export function prettyJson(value: unknown, max = JSON_MAX_CHARS): string {
  const text = JSON.stringify(value, null, 2) ?? "null";
  return text.length > max ? `${text.slice(0, max)}\n… ${text.length - max} more characters (see the API)` : text;
}

/** Pretty-printed JSON as escaped text in a <pre>. */
export const Json = ({ value }: { value: unknown }) => <pre class="json">{prettyJson(value)}</pre>;

/** Any provider-supplied scalar as text: a crafted object never reaches the renderer. */
export const str = (v: unknown): string => (v === null || v === undefined ? "" : typeof v === "string" ? v : JSON.stringify(v));

const toMs = (at: string | number) => (typeof at === "number" ? at : Date.parse(at));

export function ago(at: string | number, now = Date.now()): string {
  const s = Math.round((now - toMs(at)) / 1000);
  if (s < 0) return `in ${ago(now, now - s * 1000).replace(" ago", "")}`;
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}

/** A UTC timestamp with its age; "never" for none. */
export const When = ({ at }: { at: string | number | null | undefined }) => {
  if (at === null || at === undefined) return <span class="muted">never</span>;
  const iso = new Date(toMs(at)).toISOString();
  return (
    <time datetime={iso} title={iso}>
      {iso.slice(0, 19).replace("T", " ")}Z <span class="muted">({ago(at)})</span>
    </time>
  );
};

const TONE: Record<string, "ok" | "warn" | "bad"> = {
  active: "ok",
  receiving: "ok",
  waiting: "warn",
  succeeded: "ok",
  forwarded: "ok",
  completed: "ok",
  pending: "warn",
  retrying: "warn",
  held: "warn",
  paused: "warn",
  stale: "warn",
  unchanged: "warn",
  in_progress: "warn",
  action_required: "warn",
  silent: "bad",
  failed: "bad",
  disabled: "bad",
  superseded: "warn",
  canceled: "bad",
  deleted: "bad",
  open: "bad",
  acknowledged: "warn",
  resolved: "ok",
  room: "ok",
  "nearly full": "bad",
};

/** A status word, coloured by a fixed table (the class never comes from data). */
export const Badge = ({ value }: { value: string }) => <span class={`badge ${TONE[value] ?? "plain"}`}>{value}</span>;

export const CsrfField = ({ token }: { token: string }) => <input type="hidden" name="csrf" value={token} />;

/** A console URL with query parameters (undefined ones left out). */
export function consoleUrl(path: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v);
  const qs = q.toString();
  return `/console${path}${qs ? `?${qs}` : ""}`;
}

/** "Newest" and "Older →" links of a list paged by id, newest first. */
export const Pager = ({ first, next }: { first?: string | null; next?: string | null }) =>
  first || next ? (
    <nav class="pager">
      {first ? <a href={first}>« Newest</a> : null}
      {next ? <a href={next}>Older →</a> : null}
    </nav>
  ) : null;

export const Section = ({ title, children, id }: { title: string; children: Child; id?: string }) => (
  <section id={id}>
    <h2>{title}</h2>
    {children}
  </section>
);

/** Outcome messages after an action, from a fixed set: a link can't make the console say anything else. */
export function noticeText(done: string | undefined, n: string | undefined): string | null {
  const count = Math.max(0, Math.min(1_000_000, Number.parseInt(n ?? "0", 10) || 0));
  const plural = (one: string, many: string) => (count === 1 ? one : many);
  switch (done) {
    case "replayed":
      return count ? `Replayed: ${count} ${plural("delivery", "deliveries")}.` : "No endpoint matches this event: nothing was sent.";
    case "paused":
      return "Endpoint paused: its deliveries are held until it is resumed.";
    case "resumed":
      return "Endpoint resumed: held deliveries are being sent.";
    case "recovered":
      return `${count} failed ${plural("delivery", "deliveries")} queued again.`;
    case "reprocessed": {
      // n carries the outcome word here, from a fixed set.
      const outcomes: Record<string, string> = {
        forwarded: "forwarded as a new event",
        stale: "stale",
        unchanged: "unchanged",
        failed: "failed again",
        retry: "waiting: the provider API still fails",
      };
      return `Receipt processed again: ${n && Object.hasOwn(outcomes, n) ? outcomes[n] : "no longer kept"}.`;
    }
    case "tested": {
      // n carries the endpoint's status code, or the error kind from a fixed set.
      const kinds = new Set(["timeout", "connect", "tls"]);
      if (n && /^\d{3}$/.test(n)) return `Test event sent: the endpoint answered ${n}.`;
      return `Test event sent: no answer (${n && kinds.has(n) ? n : "connect"}).`;
    }
    case "logged-out":
      return "You are logged out.";
    case "issue-acknowledged":
      return "Issue acknowledged: it stays open until its condition clears, and its escalations are no longer notified.";
    case "issue-resolved":
      return "Issue resolved. If its condition recurs, a new issue opens.";
    default:
      return null;
  }
}

export const Notice = ({ text }: { text: string | null }) => (text ? <p class="notice">{text}</p> : null);
