/** Alerts as issues: open, acknowledged and resolved ones, with their counts, links and the operator's two buttons. */
import type { Context } from "hono";
import { inArray } from "drizzle-orm";
import { ISSUE_KINDS, ISSUE_STATUSES, type IssueKind } from "../../../domain/issues";
import { issueView } from "../../../alerts/view";
import type { Db } from "../../../db/client";
import { customers, endpoints, sources, type IssueRow } from "../../../db/schema";
import { looksLikeId } from "../../../lib/ids";
import { issueCounts, listIssues } from "../../../services/issues";
import { Layout, render } from "../layout";
import type { ConsoleEnv } from "../session";
import { Badge, consoleUrl, CsrfField, Notice, noticeText, Pager, Section, When } from "../ui";

const PAGE_SIZE = 50;
/** Open issues the overview shows first. */
const OVERVIEW_ISSUES = 5;

type Status = (typeof ISSUE_STATUSES)[number];
const LABEL: Record<Status, string> = { open: "Open", acknowledged: "Acknowledged", resolved: "Resolved" };

/** Names for the subjects and customers of these issues (a deleted subject shows its id only). */
async function namesFor(db: Db, rows: IssueRow[]) {
  const ids = (type: string) => [...new Set(rows.filter((r) => r.subjectType === type).map((r) => r.subjectId))];
  const customerIds = [...new Set(rows.map((r) => r.customerId))];
  const [src, eps, cus] = await Promise.all([
    ids("source").length
      ? db
          .select({ id: sources.id, name: sources.name })
          .from(sources)
          .where(inArray(sources.id, ids("source")))
      : [],
    ids("endpoint").length
      ? db
          .select({ id: endpoints.id, name: endpoints.url })
          .from(endpoints)
          .where(inArray(endpoints.id, ids("endpoint")))
      : [],
    customerIds.length ? db.select({ id: customers.id, name: customers.name }).from(customers).where(inArray(customers.id, customerIds)) : [],
  ]);
  return { subjects: new Map([...src, ...eps].map((s) => [s.id, s.name])), customers: new Map(cus.map((c) => [c.id, c.name])) };
}

export async function issuesPage(c: Context<ConsoleEnv>) {
  const db = c.var.db;
  const q = c.req.query("status");
  const status: Status = q && (ISSUE_STATUSES as readonly string[]).includes(q) ? (q as Status) : "open";
  const k = c.req.query("kind");
  const kind = k && (ISSUE_KINDS as readonly string[]).includes(k) ? (k as IssueKind) : undefined;
  const cursorParam = c.req.query("cursor");
  const cursor = cursorParam && looksLikeId("iss", cursorParam) ? cursorParam : undefined;
  const [rows, counts] = await Promise.all([listIssues(db, { status, kind, cursor, limit: PAGE_SIZE }), issueCounts(db)]);
  const page = rows.slice(0, PAGE_SIZE);
  const names = await namesFor(db, page);
  const next = rows.length > PAGE_SIZE ? page.at(-1)?.id : undefined;
  return render(
    c,
    <Layout title="Issues" csrf={c.var.csrf}>
      <h1>
        Issues <small>one per condition and subject while it lasts; it resolves by itself when the condition clears</small>
      </h1>
      <Notice text={noticeText(c.req.query("done"), c.req.query("n"))} />
      <nav class="tabs" id="issue-tabs">
        {ISSUE_STATUSES.map((s) => (
          <a href={consoleUrl("/issues", { status: s, kind })} class={s === status ? "current" : undefined}>
            {LABEL[s]} <span class="count">{counts[s]}</span>
          </a>
        ))}
      </nav>
      <Section title={`${LABEL[status]}${kind ? ` · ${kind}` : ""}`} id="issues">
        <IssuesTable
          rows={page}
          names={names}
          csrf={c.var.csrf}
          empty={`No ${status} issues${kind ? ` of kind ${kind}` : ""}${cursor ? " older than these" : ""}.`}
        />
        <Pager first={cursor ? consoleUrl("/issues", { status, kind }) : null} next={next ? consoleUrl("/issues", { status, kind, cursor: next }) : null} />
      </Section>
    </Layout>,
  );
}

/** What the overview's first section shows: the newest open issues, then acknowledged ones. */
export async function openIssues(db: Db) {
  const [open, acknowledged, counts] = await Promise.all([
    listIssues(db, { status: "open", limit: OVERVIEW_ISSUES }),
    listIssues(db, { status: "acknowledged", limit: OVERVIEW_ISSUES }),
    issueCounts(db),
  ]);
  const rows = [...open, ...acknowledged].slice(0, OVERVIEW_ISSUES);
  return { rows, counts, names: await namesFor(db, rows) };
}

/** The overview's first section: what needs someone now. */
export function OpenIssues({ data: { rows, counts, names }, csrf }: { data: Awaited<ReturnType<typeof openIssues>>; csrf: string }) {
  return (
    <Section title="Open issues" id="open-issues">
      <p class="small muted">
        {counts.open} open · {counts.acknowledged} acknowledged · <a href={consoleUrl("/issues")}>all issues →</a>
      </p>
      {rows.length ? <IssuesTable rows={rows} names={names} csrf={csrf} empty="" /> : <p class="muted">No open issues: every source and endpoint is well.</p>}
    </Section>
  );
}

const SubjectLink = ({ row, name }: { row: IssueRow; name: string | undefined }) => {
  const href = row.subjectType === "source" ? consoleUrl("/events", { source: row.subjectId }) : `${consoleUrl("")}#${row.subjectId}`;
  return (
    <>
      {row.subjectType}{" "}
      <a class="mono" href={href}>
        {name ?? row.subjectId}
      </a>
      {name ? <div class="mono small muted">{row.subjectId}</div> : <div class="small muted">(deleted)</div>}
    </>
  );
};

const IssuesTable = ({ rows, names, csrf, empty }: { rows: IssueRow[]; names: Awaited<ReturnType<typeof namesFor>>; csrf: string; empty: string }) => {
  if (!rows.length) return <p class="muted">{empty}</p>;
  return (
    <table class="issues">
      <thead>
        <tr>
          <th>Issue</th>
          <th>About</th>
          <th>Count</th>
          <th>Seen</th>
          <th>Status</th>
          <th>Actions</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => {
          const v = issueView(row);
          const ref = v.ref;
          return (
            <tr id={row.id}>
              <td>
                <strong>{v.kind}</strong> {v.informational ? <Badge value="informational" /> : null}
                <div class="small">{v.detail}</div>
                <div class="mono small muted">{row.id}</div>
              </td>
              <td>
                <SubjectLink row={row} name={names.subjects.get(row.subjectId)} />
                <div class="small">{names.customers.get(row.customerId) ?? row.customerId}</div>
                {ref.source_id && ref.case_id ? (
                  <div class="small">
                    last: case{" "}
                    <a class="mono" href={`${consoleUrl("/case", { source: ref.source_id, case: ref.case_id })}${ref.event_id ? `#${ref.event_id}` : ""}`}>
                      {ref.case_id}
                    </a>
                  </div>
                ) : null}
              </td>
              <td>
                <strong class="issue-count">{v.count}</strong>
                <div class="small muted">opened at {v.threshold}</div>
              </td>
              <td class="small">
                first <When at={row.firstSeenAt} />
                <br />
                last <When at={row.lastSeenAt} />
              </td>
              <td>
                <Badge value={v.status} />
                {row.acknowledgedAt !== null && v.status === "acknowledged" ? (
                  <div class="small">
                    <When at={row.acknowledgedAt} />
                  </div>
                ) : null}
                {v.status === "resolved" ? (
                  <div class="small">
                    {v.resolution} ({v.resolved_by}) <When at={row.resolvedAt} />
                  </div>
                ) : null}
              </td>
              <td>
                {v.status === "resolved" ? null : (
                  <div class="actions">
                    {v.status === "open" ? (
                      <form method="post" action={`/console/issues/${row.id}/status`} class="inline">
                        <CsrfField token={csrf} />
                        <button type="submit" name="status" value="acknowledged" class="secondary">
                          Acknowledge
                        </button>
                      </form>
                    ) : null}
                    <form method="post" action={`/console/issues/${row.id}/status`} class="inline">
                      <CsrfField token={csrf} />
                      <button type="submit" name="status" value="resolved">
                        Resolve
                      </button>
                    </form>
                  </div>
                )}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
};
