/**
 * A case's timeline: the data of GET /v1/cases/{source_id}/{case_id} (same service), events newest
 * first with their deliveries, attempts and state, then every receipt with its outcome and body.
 */
import type { Context } from "hono";
import { desc, eq } from "drizzle-orm";
import { endpoints, sources } from "../../../db/schema";
import type { Attempt, Envelope } from "../../../domain";
import { RelayError } from "../../../lib/errors";
import { looksLikeId } from "../../../lib/ids";
import type { DeliveryRecord, ReceiptRecord } from "../../../case/types";
import { RECEIPT_LIMIT } from "../../../case/views";
import { loadCase } from "../../../services/cases";
import { eventView } from "../../../services/events";
import { Layout, render } from "../layout";
import type { ConsoleEnv } from "../session";
import { Badge, CsrfField, Json, Notice, noticeText, Section, str, When } from "../ui";
import { CaseSearch } from "./overview";
import { findSource } from "../../../services/access";

type EndpointOption = { id: string; url: string; status: string };
type EventItem = ReturnType<typeof eventView>;

export async function casePage(c: Context<ConsoleEnv>) {
  const sourceId = c.req.query("source")?.trim() ?? "";
  const caseId = c.req.query("case")?.trim() ?? "";
  if (!sourceId || !caseId || caseId.length > 300) throw new RelayError("validation_failed", "Give a source id and a case id (at most 300 characters).");
  if (!looksLikeId("src", sourceId)) throw new RelayError("not_found", "There is no such source: source ids look like src_01JD3ZQ7W8X9Y0A1B2C3D4E5F6.");
  const source = await findSource(c.var, sourceId);
  const [trail, options] = await Promise.all([
    loadCase(c.env, sourceId, caseId),
    c.var.db.select({ id: endpoints.id, url: endpoints.url, status: endpoints.status }).from(endpoints).where(eq(endpoints.customerId, source.customerId)),
  ]);
  const events = trail.events.map(eventView).reverse();
  const found = trail.receipts.length > 0 || events.length > 0;
  const byEvent = new Map<string, DeliveryRecord[]>();
  for (const d of trail.deliveries) byEvent.set(d.event_id, [...(byEvent.get(d.event_id) ?? []), d]);
  const urls = new Map(options.map((e) => [e.id, e.url]));

  if (!found) {
    const searchable = await c.var.db
      .select({ id: sources.id, name: sources.name, provider: sources.provider })
      .from(sources)
      .orderBy(desc(sources.id))
      .limit(200);
    return render(
      c,
      <Layout title="Case not found" csrf={c.var.csrf}>
        <h1>No case {caseId}</h1>
        <p class="error">Source {source.name} has no receipt or event for this case id (yet, or any more: retention removes old ones).</p>
        <CaseSearch sources={searchable} source={sourceId} caseId={caseId} />
      </Layout>,
      404,
    );
  }

  return render(
    c,
    <Layout title={`Case ${caseId}`} csrf={c.var.csrf}>
      <h1>
        Case <span class="mono">{caseId}</span>
      </h1>
      <Notice text={noticeText(c.req.query("done"), c.req.query("n"))} />
      <div class="card">
        <dl class="facts">
          <dt>Source</dt>
          <dd>
            {source.name} <Badge value={source.provider} /> <span class="mono small muted">{source.id}</span>
          </dd>
          <dt>Customer</dt>
          <dd class="mono">{source.customerId}</dd>
          <dt>Status</dt>
          <dd>{trail.status ? <Badge value={trail.status} /> : <span class="muted">nothing forwarded yet</span>}</dd>
          <dt>Sequence</dt>
          <dd>{trail.sequence}</dd>
          <dt>Open</dt>
          <dd>{trail.terminal ? "no: terminal, never reconciled again" : "yes"}</dd>
        </dl>
      </div>
      <Section title={`Events (${events.length})`} id="events">
        {events.length ? (
          events.map((e, i) => <EventCard event={e} deliveries={byEvent.get(e.id) ?? []} endpoints={options} urls={urls} csrf={c.var.csrf} open={i === 0} />)
        ) : (
          <p class="muted">No event yet: see the receipts' outcomes below.</p>
        )}
      </Section>
      <Section title={`Receipts (${trail.receipts.length}${trail.receipts.length >= RECEIPT_LIMIT ? `, the newest ${RECEIPT_LIMIT}` : ""})`} id="receipts">
        <ReceiptsTable receipts={trail.receipts} csrf={c.var.csrf} />
      </Section>
    </Layout>,
  );
}

const EventCard = ({
  event,
  deliveries,
  endpoints: options,
  urls,
  csrf,
  open,
}: {
  event: EventItem;
  deliveries: DeliveryRecord[];
  endpoints: EndpointOption[];
  urls: Map<string, string>;
  csrf: string;
  open: boolean;
}) => {
  const d: Envelope["data"] = event.payload.data;
  return (
    <article class="event" id={event.id}>
      <header>
        <div>
          <span class="seq">#{event.sequence}</span> {event.type} <Badge value={event.status} />{" "}
          {d.provider_status ? <span class="muted">{str(d.provider_status)}</span> : null}
          {d.check ? (
            <span class="small">
              {" "}
              · check {str(d.check.name ?? d.check.id)}: {str(d.check.provider_status ?? d.check.status)}
            </span>
          ) : null}
        </div>
        <div class="small">
          {str(d.trigger.kind)}
          {d.trigger.provider_event_type ? ` (${str(d.trigger.provider_event_type)})` : ""} ·{" "}
          {d.verified ? "verified by refetch" : "not verified (body forwarded)"} · <When at={event.created_at} />
        </div>
      </header>
      <div class="mono small muted">
        {event.id} · receipt {event.receipt_id}
      </div>
      <form method="post" action={`/console/events/${event.id}/replay`} class="inline">
        <CsrfField token={csrf} />
        <select name="endpoint_id" aria-label="Replay to">
          <option value="">all matching endpoints</option>
          {options.map((e) => (
            <option value={e.id}>
              {e.url} ({e.status})
            </option>
          ))}
        </select>
        <button type="submit" class="secondary">
          Replay
        </button>
      </form>
      <Deliveries deliveries={deliveries} urls={urls} />
      <details open={open}>
        <summary>State{d.verified ? "" : " (as the provider sent it)"}</summary>
        <Json value={d.state} />
      </details>
    </article>
  );
};

const Deliveries = ({ deliveries, urls }: { deliveries: DeliveryRecord[]; urls: Map<string, string> }) => {
  if (!deliveries.length) return <p class="muted small">No delivery: no endpoint matched this event.</p>;
  return (
    <table class="deliveries">
      <thead>
        <tr>
          <th>Delivery</th>
          <th>Endpoint</th>
          <th>Status</th>
          <th>Attempts</th>
        </tr>
      </thead>
      <tbody>
        {deliveries.map((dl) => (
          <tr>
            <td class="mono small">
              {dl.id}
              {dl.replay ? <div>replay</div> : null}
            </td>
            <td class="mono small">{urls.get(dl.endpoint_id) ?? dl.endpoint_id}</td>
            <td>
              <Badge value={dl.status} />
              {dl.next_attempt_at !== null ? (
                <div class="small">
                  next <When at={dl.next_attempt_at} />
                </div>
              ) : null}
            </td>
            <td>
              {dl.attempts.length ? (
                <ul class="attempts">
                  {dl.attempts.map((a) => (
                    <AttemptItem attempt={a} />
                  ))}
                </ul>
              ) : (
                <span class="muted small">none yet</span>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
};

const AttemptItem = ({ attempt: a }: { attempt: Attempt }) => (
  <li class="small">
    <When at={a.at} /> · {a.status_code ?? "no answer"} · {a.duration_ms} ms{a.error_kind ? ` · ${a.error_kind}` : ""}
    {a.flagged ? " · flagged (4xx)" : ""}
    {a.response_excerpt ? (
      <details>
        <summary>response</summary>
        <pre class="excerpt">{a.response_excerpt}</pre>
      </details>
    ) : null}
  </li>
);

const ReceiptsTable = ({ receipts, csrf }: { receipts: ReceiptRecord[]; csrf: string }) => (
  <table>
    <thead>
      <tr>
        <th>Received</th>
        <th>Provider event</th>
        <th>Outcome</th>
        <th>Duplicates</th>
        <th>Body</th>
      </tr>
    </thead>
    <tbody>
      {receipts.map((r) => (
        <tr id={r.id}>
          <td>
            <When at={r.received_at} />
            <div class="mono small muted">{r.id}</div>
          </td>
          <td>
            {r.kind === "reconcile" ? <span class="muted">reconcile</span> : str(r.event_type)}
            {r.version ? <div class="small muted">version {r.version}</div> : null}
            {r.provider_event_id ? <div class="mono small muted">{r.provider_event_id}</div> : null}
          </td>
          <td>
            <Badge value={r.outcome} />
            {r.event_id ? (
              <div class="small">
                <a href={`#${r.event_id}`}>event</a>
              </div>
            ) : null}
            {r.detail ? <div class="small">{r.detail}</div> : null}
            {r.outcome === "failed" && r.reason !== "gone" ? (
              <form method="post" action={`/console/receipts/${r.id}/replay`} class="inline">
                <CsrfField token={csrf} />
                <button type="submit" class="secondary">
                  Process again
                </button>
              </form>
            ) : null}
          </td>
          <td>
            {r.duplicate_count}
            {r.duplicates.length ? (
              <ul class="attempts">
                {r.duplicates.map((d) => (
                  <li class="small">
                    <When at={d.received_at} />
                  </li>
                ))}
              </ul>
            ) : null}
          </td>
          <td>
            {r.body === null ? (
              <span class="muted small">purged by retention</span>
            ) : (
              <details>
                <summary>body</summary>
                <Json value={r.body} />
              </details>
            )}
          </td>
        </tr>
      ))}
    </tbody>
  </table>
);
