import { createRoute } from "@hono/zod-openapi";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { CustomerView, idParam } from "../schemas";
import { customerView } from "./view";
import { findCustomer } from "../../../services/access";

const route = createRoute({
  method: "get",
  path: "/v1/customers/{id}",
  tags: ["customers"],
  summary: "Get a customer",
  request: { params: idParam("cus", "cus_01JD3ZQ7W8X9Y0A1B2C3D4E5F6") },
  responses: {
    200: { description: "The customer", content: { "application/json": { schema: CustomerView } } },
    ...errorResponses(401, 404, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => c.json(customerView(await findCustomer(c.var, c.req.valid("param").id)), 200));
}
