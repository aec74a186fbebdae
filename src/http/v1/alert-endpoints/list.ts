import { alertEndpoints } from "../../../db/schema";
import { ownedPage } from "../../../services/access";
import { customerScope } from "../../auth";
import type { App } from "../../context";
import { toPage } from "../../pagination";
import { customerListRoute } from "../routes";
import { AlertEndpointView, alertEndpointView } from "./shared";

const route = customerListRoute({
  path: "/v1/alert-endpoints",
  tag: "alerts",
  summary: "List alert endpoints",
  description: "Newest first. The operator sees every one (its own have `customer_id: null`), optionally one customer's; a customer key only its own.",
  view: AlertEndpointView,
  page: "AlertEndpointPage",
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const { limit, cursor, customer_id } = c.req.valid("query");
    const rows = await ownedPage(c.var.db, alertEndpoints, { customerId: customerScope(c, customer_id), cursor, limit });
    return c.json(toPage(rows, limit, alertEndpointView), 200);
  });
}
