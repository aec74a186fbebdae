/** The overview: open issues first, then find a case, sources with their activity, endpoints with theirs and their actions, and how full each D1 database is. */
import type { Context } from "hono";
import { desc, inArray, lt } from "drizzle-orm";
import { customers, endpoints, sources, type EndpointRow, type EndpointTestRow, type SourceRow } from "../../../db/schema";
import { looksLikeId } from "../../../lib/ids";
import { endpointActivity, ENDPOINT_WINDOW_MS, sourceActivity, type EndpointActivity, type SourceActivity } from "../../../services/activity";
import { D1_DATABASE_LIMIT_BYTES, databaseSizes, NEARLY_FULL_SHARE, type DatabaseSize } from "../../../services/storage";
import { lastTests } from "../../../services/test-sends";
import { Layout, render } from "../layout";
import { OpenIssues, openIssues } from "./issues";
import type { ConsoleEnv } from "../session";
import { Badge, consoleUrl, CsrfField, Notice, noticeText, Pager, Section, When } from "../ui";

const PAGE_SIZE = 20;
/** Sources offered in the case search (newest first); any other id can still be typed. */
const SEARCH_SOURCES = 200;

/** A "?sources=" / "?endpoints=" cursor, ignored unless it is an id of that kind. */
const cursorOf = (value: string | undefined, prefix: "src" | "ep") => (value && looksLikeId(prefix, value) ? value : undefined);

export async function overviewPage(c: Context<ConsoleEnv>) {
  const db = c.var.db;
  const sourceCursor = cursorOf(c.req.query("sources"), "src");
  const endpointCursor = cursorOf(c.req.query("endpoints"), "ep");
  const [sourceRows, endpointRows, searchable] = await Promise.all([
    db
      .select()
      .from(sources)
      .where(sourceCursor ? lt(sources.id, sourceCursor) : undefined)
      .orderBy(desc(sources.id))
      .limit(PAGE_SIZE + 1),
    db
      .select()
      .from(endpoints)
      .where(endpointCursor ? lt(endpoints.id, endpointCursor) : undefined)
      .orderBy(desc(endpoints.id))
      .limit(PAGE_SIZE + 1),
    db.select({ id: sources.id, name: sources.name, provider: sources.provider }).from(sources).orderBy(desc(sources.id)).limit(SEARCH_SOURCES),
  ]);
  const sourcePage = sourceRows.slice(0, PAGE_SIZE);
  const endpointPage = endpointRows.slice(0, PAGE_SIZE);
  const customerIds = [...new Set([...sourcePage, ...endpointPage].map((r) => r.customerId))];
  const [names, perDay, activity, tests, databases] = await Promise.all([
    customerIds.length ? db.select({ id: customers.id, name: customers.name }).from(customers).where(inArray(customers.id, customerIds)) : [],
    sourceActivity(
      c.env.DB,
      sourcePage.map((s) => s.id),
    ),
    endpointActivity(
      c.env.DB,
      endpointPage.map((e) => e.id),
    ),
    lastTests(
      db,
      endpointPage.map((e) => e.id),
    ),
    databaseSizes(c.env),
  ]);
  const customerName = new Map(names.map((n) => [n.id, n.name]));
  const issues = await openIssues(db);
  const nextSources = sourceRows.length > PAGE_SIZE ? sourcePage.at(-1)?.id : undefined;
  const nextEndpoints = endpointRows.length > PAGE_SIZE ? endpointPage.at(-1)?.id : undefined;

  return render(
    c,
    <Layout title="Overview" csrf={c.var.csrf}>
      <h1>Overview</h1>
      <Notice text={noticeText(c.req.query("done"), c.req.query("n"))} />
      <OpenIssues data={issues} csrf={c.var.csrf} />
      <CaseSearch sources={searchable} />
      <Section title="Sources" id="sources">
        <SourcesTable rows={sourcePage} customerName={customerName} perDay={perDay} />
        <Pager
          first={sourceCursor ? consoleUrl("", { endpoints: endpointCursor }) : null}
          next={nextSources ? consoleUrl("", { sources: nextSources, endpoints: endpointCursor }) : null}
        />
      </Section>
      <Section title="Endpoints" id="endpoints">
        <p class="muted small">Attempts over the last {ENDPOINT_WINDOW_MS / 3_600_000} h, and deliveries that need another try or an operator now.</p>
        <EndpointsTable rows={endpointPage} customerName={customerName} activity={activity.byEndpoint} tests={tests} csrf={c.var.csrf} />
        <Pager
          first={endpointCursor ? consoleUrl("", { sources: sourceCursor }) : null}
          next={nextEndpoints ? consoleUrl("", { sources: sourceCursor, endpoints: nextEndpoints }) : null}
        />
      </Section>
      <Section title="D1 databases" id="databases">
        <DatabasesTable rows={databases} />
      </Section>
    </Layout>,
  );
}

export const CaseSearch = ({
  sources: options,
  source,
  caseId,
}: {
  sources: { id: string; name: string; provider: string }[];
  source?: string;
  caseId?: string;
}) => (
  <div class="card">
    <form method="get" action="/console/case" class="stack">
      <label>
        Source
        <input class="wide" name="source" list="source-ids" value={source ?? ""} placeholder="src_…" required />
      </label>
      <datalist id="source-ids">
        {options.map((s) => (
          <option value={s.id}>
            {s.name} ({s.provider})
          </option>
        ))}
      </datalist>
      <label>
        Case id
        <input class="wide" name="case" value={caseId ?? ""} placeholder="the provider's case id" required />
      </label>
      <button type="submit">Open case</button>
    </form>
  </div>
);

const size = (bytes: number) => (bytes >= 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`);

/** Each D1 database's size against D1's limit; from NEARLY_FULL_SHARE on, time to add one. */
const DatabasesTable = ({ rows }: { rows: DatabaseSize[] }) => (
  <>
    <p class="muted small">
      One D1 database holds {D1_DATABASE_LIMIT_BYTES / 1e9} GB. Past {NEARLY_FULL_SHARE * 100} % of it, give the events index databases of its own
      (INDEX_DATABASES: README "Scaling the index").
    </p>
    <table>
      <thead>
        <tr>
          <th>Database</th>
          <th>Holds</th>
          <th>Size</th>
          <th>Of {D1_DATABASE_LIMIT_BYTES / 1e9} GB</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {rows.map((d) => (
          <tr>
            <td class="mono">{d.binding}</td>
            <td>{d.holds}</td>
            <td>{d.bytes === null ? "not reported" : size(d.bytes)}</td>
            <td>{d.bytes === null ? "–" : `${((d.bytes / D1_DATABASE_LIMIT_BYTES) * 100).toFixed(1)} %`}</td>
            <td>{d.bytes === null ? null : <Badge value={d.nearlyFull ? "nearly full" : "room"} />}</td>
          </tr>
        ))}
      </tbody>
    </table>
  </>
);

/** Seven bars scaled to the busiest day (classes h0-h8: the stylesheet allows no inline style). */
const Spark = ({ activity }: { activity: SourceActivity }) => {
  const max = Math.max(1, ...activity.days.map((d) => d.receipts));
  return (
    <span class="spark">
      {activity.days.map((d) => (
        <span
          class={`bar h${d.receipts === 0 ? 0 : Math.max(1, Math.round((d.receipts / max) * 8))}`}
          title={`${d.day}: ${d.receipts} receipts, ${d.duplicates} duplicates`}
        />
      ))}
    </span>
  );
};

const SourcesTable = ({ rows, customerName, perDay }: { rows: SourceRow[]; customerName: Map<string, string>; perDay: Map<string, SourceActivity> }) => {
  if (!rows.length) return <p class="muted">No sources yet: create one with POST /v1/sources.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Source</th>
          <th>Customer</th>
          <th>Last receipt</th>
          <th>Health</th>
          <th>Receipts per day (7 d)</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        {rows.map((s) => {
          const activity = perDay.get(s.id)!;
          const total = activity.days.reduce((n, d) => n + d.receipts, 0);
          const duplicates = activity.days.reduce((n, d) => n + d.duplicates, 0);
          return (
            <tr>
              <td>
                <strong>{s.name}</strong> <Badge value={s.provider} />
                <div class="mono small muted">{s.id}</div>
              </td>
              <td>{customerName.get(s.customerId) ?? s.customerId}</td>
              <td>
                <When at={s.lastReceiptAt} />
              </td>
              <td>
                {s.silentSince !== null ? (
                  <>
                    <Badge value="silent" />
                    <div class="small">
                      since <When at={s.silentSince} />
                    </div>
                  </>
                ) : (
                  <Badge value={s.lastReceiptAt === null ? "waiting" : "receiving"} />
                )}
              </td>
              <td>
                <Spark activity={activity} />
                <span class="small">
                  {total} receipts, {duplicates} duplicates
                </span>
              </td>
              <td>
                <a href={consoleUrl("/events", { source: s.id })}>Events</a>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
};

const percent = (part: number, whole: number) => (whole ? `${Math.round((part / whole) * 100)} %` : "–");

/** Recover resends failed deliveries created since a time; the form offers the last 24 h (UTC). */
const defaultSince = () => new Date(Date.now() - 86_400_000).toISOString().slice(0, 16);

/** The endpoint's last test send: its answer, how long it took, when, and the start of what it said. */
const LastTest = ({ test }: { test: EndpointTestRow | undefined }) => {
  if (!test) return null;
  const ok = test.statusCode !== null && test.statusCode >= 200 && test.statusCode < 300;
  return (
    <div class="small">
      last test: <Badge value={ok ? "succeeded" : "failed"} /> {test.statusCode ?? test.errorKind} · {test.durationMs} ms · <When at={test.at} />
      {test.responseExcerpt ? <div class="mono muted">{test.responseExcerpt.slice(0, 200)}</div> : null}
    </div>
  );
};

const EndpointsTable = ({
  rows,
  customerName,
  activity,
  tests,
  csrf,
}: {
  rows: EndpointRow[];
  customerName: Map<string, string>;
  activity: Map<string, EndpointActivity>;
  tests: Map<string, EndpointTestRow>;
  csrf: string;
}) => {
  if (!rows.length) return <p class="muted">No endpoints yet: create one with POST /v1/endpoints.</p>;
  return (
    <table>
      <thead>
        <tr>
          <th>Endpoint</th>
          <th>Customer</th>
          <th>Status</th>
          <th>Failure rate</th>
          <th>Deliveries</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((e) => {
          const a = activity.get(e.id) ?? { attempts: 0, failedAttempts: 0, retrying: 0, failed: 0, held: 0 };
          return (
            <tr id={e.id}>
              <td>
                <span class="mono">{e.url}</span>
                {e.description ? <div class="small">{e.description}</div> : null}
                <div class="mono small muted">{e.id}</div>
              </td>
              <td>{customerName.get(e.customerId) ?? e.customerId}</td>
              <td>
                <Badge value={e.status} />
                {e.disabledReason ? <div class="small">{e.disabledReason}</div> : null}
                {e.failingSince !== null ? (
                  <div class="small">
                    failing since <When at={e.failingSince} />
                  </div>
                ) : null}
              </td>
              <td>
                <strong>{percent(a.failedAttempts, a.attempts)}</strong>
                <div class="small muted">
                  {a.failedAttempts} of {a.attempts} attempts failed
                </div>
              </td>
              <td class="small">
                {a.retrying} retrying · {a.failed} failed · {a.held} held
              </td>
              <td>
                <div class="actions">
                  <form method="post" action={`/console/endpoints/${e.id}/status`} class="inline">
                    <CsrfField token={csrf} />
                    {e.status === "active" ? (
                      <button type="submit" name="status" value="paused" class="secondary">
                        Pause
                      </button>
                    ) : (
                      <button type="submit" name="status" value="active">
                        Resume
                      </button>
                    )}
                  </form>
                  {e.status === "active" ? (
                    <form method="post" action={`/console/endpoints/${e.id}/recover`} class="inline">
                      <CsrfField token={csrf} />
                      <label class="since">
                        failed since (UTC)
                        <input type="datetime-local" name="since" value={defaultSince()} required />
                      </label>
                      <button type="submit" class="secondary">
                        Recover
                      </button>
                    </form>
                  ) : null}
                  <form method="post" action={`/console/endpoints/${e.id}/test`} class="inline">
                    <CsrfField token={csrf} />
                    <button type="submit" class="secondary">
                      Send test event
                    </button>
                  </form>
                </div>
                <LastTest test={tests.get(e.id)} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
};
