/** Recent events, newest first, paged by id, from D1's index (each row links to its case's timeline). */
import type { Context } from "hono";
import { looksLikeId } from "../../../lib/ids";
import { findSource } from "../../../services/access";
import { eventSummaryView, listEvents } from "../../../services/events";
import { RelayError } from "../../../lib/errors";
import { Layout, render } from "../layout";
import type { ConsoleEnv } from "../session";
import { Badge, consoleUrl, Pager, When } from "../ui";

const PAGE_SIZE = 50;

export async function eventsPage(c: Context<ConsoleEnv>) {
  const source = c.req.query("source");
  const sourceId = source && looksLikeId("src", source) ? source : undefined;
  const cursorParam = c.req.query("cursor");
  const cursor = cursorParam && looksLikeId("evt", cursorParam) ? cursorParam : undefined;
  let customerId: string | undefined;
  if (sourceId) {
    customerId = (await findSource(c.var, sourceId)).customerId;
  }
  const page = await listEvents(c.env, { customerId, sourceId, cursor, limit: PAGE_SIZE });
  if ("tooMany" in page)
    throw new RelayError("validation_failed", "There are too many customers to list every event at once: open a source's events from the overview.");
  const rows = page.rows.map(eventSummaryView);
  return render(
    c,
    <Layout title="Events" csrf={c.var.csrf}>
      <h1>Events {sourceId ? <small class="mono">source {sourceId}</small> : <small>all sources, newest first</small>}</h1>
      <section>
        {rows.length ? (
          <table>
            <thead>
              <tr>
                <th>Created</th>
                <th>Case</th>
                <th>#</th>
                <th>Type</th>
                <th>Status</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr>
                  <td>
                    <When at={e.created_at} />
                    <div class="mono small muted">{e.id}</div>
                  </td>
                  <td>
                    <a class="mono" href={`${consoleUrl("/case", { source: e.source_id, case: e.case_id })}#${e.id}`}>
                      {e.case_id}
                    </a>
                    <div class="mono small muted">{e.source_id}</div>
                  </td>
                  <td>{e.sequence}</td>
                  <td>{e.type}</td>
                  <td>
                    <Badge value={e.status} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p class="muted">
            {page.nextCursor ? "None among the events read for this page: go on to the next." : `No events${cursor ? " older than this" : ""}.`}
          </p>
        )}
        <Pager
          first={cursor ? consoleUrl("/events", { source: sourceId }) : null}
          next={page.nextCursor ? consoleUrl("/events", { source: sourceId, cursor: page.nextCursor }) : null}
        />
      </section>
    </Layout>,
  );
}
