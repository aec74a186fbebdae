import { createRoute, z } from "@hono/zod-openapi";
import { EVENT_TYPES } from "../../../domain";
import { EnvelopeSchema } from "../../../domain/envelope";
import { sendTestEvent } from "../../../services/test-sends";
import type { App } from "../../context";
import { errorResponses } from "../../errors";
import { idParam, TestSendView } from "../schemas";
import { findEndpoint } from "../../../services/access";

const Body = z.strictObject({
  type: z
    .enum(EVENT_TYPES)
    .optional()
    .openapi({ description: "Which example to send; by default the first type the endpoint's filter takes (else case.updated)." }),
});

const route = createRoute({
  method: "post",
  path: "/v1/endpoints/{id}/test",
  tags: ["endpoints"],
  summary: "Send a test event",
  description:
    'Sends the event catalog\'s example of a type (`trigger.kind: "test"`, `sequence` 0, which no case ever has, a fresh `webhook-id`), signed as the endpoint signs, now, and answers with the attempt. ' +
    "It is recorded as a test attempt of the endpoint (GET /v1/endpoints/{id}/tests) and nowhere as an event. It goes out whatever the endpoint's status, rate limit or cooldown, and does not change them.",
  request: {
    params: idParam("ep", "ep_01JD3ZQ7W8X9Y0A1B2C3D4E5F6"),
    body: { required: false, content: { "application/json": { schema: Body } } },
  },
  responses: {
    200: {
      description: "The attempt (the endpoint's answer, whatever it was)",
      content: { "application/json": { schema: TestSendView.extend({ event: EnvelopeSchema.openapi({ description: "The body that was sent." }) }) } },
    },
    ...errorResponses(400, 401, 404, 413, 422),
  },
});

export function register(app: App) {
  app.openapi(route, async (c) => {
    const endpoint = await findEndpoint(c.var, c.req.valid("param").id);
    const { event, attempt, outcome } = await sendTestEvent(c.var.db, c.var.config, endpoint, c.req.valid("json").type);
    return c.json({ ...attempt, event_id: event.data.event_id, type: event.type, outcome, event }, 200);
  });
}
