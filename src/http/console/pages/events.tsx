/** Recent events, newest first, paged by id (the events table's own key: fast however many there are). */
import type { Context } from "hono";
import type { Delivery, Envelope } from "../../../domain";
import { looksLikeId } from "../../../lib/ids";
import { listEvents } from "../../../services/events";
import { Layout, render } from "../layout";
import type { ConsoleEnv } from "../session";
import { Badge, consoleUrl, Pager, str, When } from "../ui";

const PAGE_SIZE = 50;

export async function eventsPage(c: Context<ConsoleEnv>) {
  const source = c.req.query("source");
  const sourceId = source && looksLikeId("src", source) ? source : undefined;
  const cursorParam = c.req.query("cursor");
  const cursor = cursorParam && looksLikeId("evt", cursorParam) ? cursorParam : undefined;
  const rows = await listEvents(c.env.DB, { sourceId, cursor, limit: PAGE_SIZE });
  const page = rows.slice(0, PAGE_SIZE);
  const next = rows.length > PAGE_SIZE ? page.at(-1)?.id : undefined;
  return render(
    c,
    <Layout title="Events" csrf={c.var.csrf}>
      <h1>
        Events {sourceId ? <small class="mono">source {sourceId}</small> : <small>all sources, newest first</small>}
      </h1>
      <section>
        {page.length ? (
          <table>
            <thead>
              <tr>
                <th>Created</th>
                <th>Case</th>
                <th>#</th>
                <th>Type</th>
                <th>Status</th>
                <th>Trigger</th>
                <th>First deliveries</th>
              </tr>
            </thead>
            <tbody>
              {page.map((e) => {
                const payload = JSON.parse(e.payload) as Envelope;
                const deliveries = JSON.parse(e.deliveries) as Delivery[];
                return (
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
                    <td>{str(payload.data.trigger.kind)}</td>
                    <td>
                      {deliveries.length ? deliveries.map((d) => <Badge value={d.status} />) : <span class="muted small">no endpoint matched</span>}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : (
          <p class="muted">No events{cursor ? " older than this" : ""}.</p>
        )}
        <Pager first={cursor ? consoleUrl("/events", { source: sourceId }) : null} next={next ? consoleUrl("/events", { source: sourceId, cursor: next }) : null} />
      </section>
    </Layout>,
  );
}
