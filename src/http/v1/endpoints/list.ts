import { endpoints } from "../../../db/schema";
import { ownedPage } from "../../../services/access";
import { customerScope } from "../../auth";
import type { App } from "../../context";
import { toPage } from "../../pagination";
import { customerListRoute } from "../routes";
import { EndpointView } from "../schemas";
import { endpointView } from "./shared";

const route = customerListRoute({
  path: "/v1/endpoints",
  tag: "endpoints",
  summary: "List endpoints",
  description: "Newest first, optionally for one customer. A customer key lists only its own.",
  view: EndpointView,
  page: "EndpointPage",
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { limit, cursor, customer_id } = c.req.valid("query");
    const rows = await ownedPage(c.var.db, endpoints, { customerId: customerScope(c, customer_id), cursor, limit });
    return c.json(toPage(rows, limit, endpointView), 200);
  });
}
