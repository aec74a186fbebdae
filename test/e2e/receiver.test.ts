/**
 * The receiving side, from Node (no relay needed): the OpenAPI document validates as OpenAPI 3.1
 * and receivers generate working types from its `webhooks`; v1a signatures made by the relay's
 * signer verify with Node's crypto.verify and the published whpk_ key, across a rotation.
 */
import { describe, expect, it } from "vitest";
import { ALERT_TYPES } from "../../src/domain/issues";
import { EVENT_TYPES } from "../../src/domain";
import { exampleEnvelope } from "../../src/domain/envelope";
import { createApp, OPENAPI_DOCUMENT } from "../../src/http/app";
import { newSigningKeyPair, signatureHeader } from "../../src/pipeline/signing";
import { generateAndCompile, validateOpenApi, verifyV1a } from "./receiver-side.mjs";

const document = () => createApp().getOpenAPI31Document(OPENAPI_DOCUMENT);

describe("the OpenAPI document", () => {
  it("validates as OpenAPI 3.1, with one webhooks entry per event type and the Standard Webhooks headers", async () => {
    const doc = document();
    const result = await validateOpenApi(doc);
    expect(result.errors).toBeNull();
    expect(result).toMatchObject({ valid: true, version: "3.1" });
    const webhooks = doc.webhooks as Record<
      string,
      { post: { parameters: { name: string; in: string; required: boolean }[]; requestBody: { content: Record<string, { schema: { $ref: string } }> } } }
    >;
    // Events, and alert notifications (test/http/event-types.test.ts checks those).
    expect(Object.keys(webhooks).sort()).toEqual([...EVENT_TYPES, ...ALERT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      const post = webhooks[type]!.post;
      expect(post.parameters.filter((p) => p.in === "header").map((p) => [p.name, p.required])).toEqual([
        ["webhook-id", true],
        ["webhook-timestamp", true],
        ["webhook-signature", true],
      ]);
      // The envelope, with its `type` narrowed to this one.
      const ref = post.requestBody.content["application/json"]!.schema.$ref;
      const schema = (doc.components!.schemas as Record<string, { allOf: { $ref?: string; properties?: { type: { enum: string[] } } }[] }>)[
        ref.split("/").pop()!
      ]!;
      expect(schema.allOf[0]!.$ref).toBe("#/components/schemas/Envelope");
      expect(schema.allOf[1]!.properties!.type.enum).toEqual([type]);
    }
  });

  it("generates receiver types with openapi-typescript that type-check a receiver's code", async () => {
    const example = JSON.stringify(exampleEnvelope("case.completed"));
    const { types, errors } = await generateAndCompile(
      document(),
      `import type { webhooks } from "./caserelay";
type Body<T extends keyof webhooks> = webhooks[T]["post"]["requestBody"]["content"]["application/json"];
const completed: Body<"case.completed"> = ${example};
export const sequence: number = completed.data.sequence;
export const kind: "webhook" | "reconcile" | "replay" | "test" = completed.data.trigger.kind;
export const checkId: string | undefined = (null as unknown as Body<"check.updated">).data.check?.id;
// @ts-expect-error a case.completed event's type is only "case.completed"
export const wrong: Body<"case.completed">["type"] = "case.updated";
// @ts-expect-error sequence is a number
export const notANumber: Body<"case.updated">["data"]["sequence"] = "3";
`,
    );
    expect(types).toContain('"case.completed"');
    expect(errors).toBe("");
  });
});

describe("v1a in Node", () => {
  it("verifies with crypto.verify and the whpk_ public key, also while a rotation signs with both keys", async () => {
    const current = await newSigningKeyPair();
    const old = await newSigningKeyPair();
    const body = JSON.stringify(exampleEnvelope("case.updated"));
    const id = "evt_01JD3ZQ7W8X9Y0A1B2C3D4E5F6";
    const ts = 1_795_860_000;
    const one = await signatureHeader({ schemes: ["v1a"], secrets: [], signingKeys: [current.signingKey] }, id, ts, body);
    expect(verifyV1a(current.publicKey, id, ts, body, one)).toBe(true);
    expect(verifyV1a(old.publicKey, id, ts, body, one)).toBe(false);
    expect(verifyV1a(current.publicKey, id, ts, body.replace("in_progress", "completed"), one)).toBe(false);
    const both = await signatureHeader(
      {
        schemes: ["v1", "v1a"],
        secrets: [`whsec_${Buffer.from("0123456789abcdef01234567").toString("base64")}`],
        signingKeys: [current.signingKey, old.signingKey],
      },
      id,
      ts,
      body,
    );
    expect(both.split(" ").map((e) => e.split(",")[0])).toEqual(["v1", "v1a", "v1a"]);
    expect(verifyV1a(current.publicKey, id, ts, body, both)).toBe(true);
    expect(verifyV1a(old.publicKey, id, ts, body, both)).toBe(true);
  });
});
