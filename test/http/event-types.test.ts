/** The event catalog: GET /v1/event-types and the OpenAPI document's webhooks, from the envelope's one schema. */
import { describe, expect, it } from "vitest";
import { ALERT_TYPES } from "../../src/domain/issues";
import { EVENT_TYPES } from "../../src/domain";
import { WEBHOOK_SCHEMAS } from "../../src/domain/envelope";
import { api } from "../helpers/api";
import { createCustomer } from "../helpers/factories";

describe("event types", () => {
  it("lists every outbound type with a description, its schema and an example that matches it", async () => {
    const res = await api.get("/v1/event-types");
    expect(res.status).toBe(200);
    expect(res.body.data.map((t: { type: string }) => t.type)).toEqual([...EVENT_TYPES]);
    for (const t of res.body.data) {
      expect(t.description.length, t.type).toBeGreaterThan(10);
      expect(WEBHOOK_SCHEMAS[t.type as keyof typeof WEBHOOK_SCHEMAS].safeParse(t.example).success, t.type).toBe(true);
      expect(t.example.type).toBe(t.type);
      expect(t.schema).toMatchObject({ $schema: "https://json-schema.org/draft/2020-12/schema", type: "object", required: ["type", "timestamp", "data"] });
      expect(t.schema.properties.type).toEqual({ type: "string", const: t.type });
    }
    expect(res.body.data.find((t: { type: string }) => t.type === "check.updated").example.data.check).toMatchObject({ id: expect.any(String) });
  });

  it("needs a credential, and a customer's key will do", async () => {
    expect((await api.get("/v1/event-types", null)).status).toBe(401);
    const c = await createCustomer();
    expect((await api.get("/v1/event-types", c.api_key)).status).toBe(200);
  });

  it("are the OpenAPI document's webhooks, one per type, with the Standard Webhooks headers", async () => {
    const doc = (await api.get("/v1/openapi.json")).body;
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.webhooks).sort()).toEqual([...EVENT_TYPES, ...ALERT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      const post = doc.webhooks[type].post;
      expect(post.parameters.map((p: { name: string }) => p.name)).toEqual(["webhook-id", "webhook-timestamp", "webhook-signature"]);
      expect(post.requestBody.content["application/json"].schema.$ref).toMatch(/^#\/components\/schemas\/\w+Event$/);
    }
    // Alert notifications are documented the same way (tag alerts), their body the notification schema.
    for (const type of ALERT_TYPES) {
      const post = doc.webhooks[type].post;
      expect(post.tags).toEqual(["alerts"]);
      const ref: string = post.requestBody.content["application/json"].schema.$ref;
      expect(ref).toMatch(/^#\/components\/schemas\/\w+Alert$/);
      const schema = doc.components.schemas[ref.split("/").pop()!];
      expect(schema.allOf[0].$ref).toBe("#/components/schemas/AlertNotification");
      expect(schema.allOf[1].properties.type.enum).toEqual([type]);
    }
    expect(doc.paths["/v1/event-types"].get).toBeDefined();
  });
});
