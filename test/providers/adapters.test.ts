/** parse and normalize of the first adapters, against their fixtures and their vendors' documented rules. */
import { describe, expect, it } from "vitest";
import { EVENT_TYPES, STATUSES } from "../../src/domain";
import { casekeeper } from "../../src/providers/casekeeper";
import { karmacheck } from "../../src/providers/karmacheck";
import { keldair } from "../../src/providers/keldair";
import { dedupeKey } from "../../src/providers/shared";
import { standard } from "../../src/providers/standard";
import { truework } from "../../src/providers/truework";
import type { InboundRequest, NormalizeInput, ParsedEvent, ProviderAdapter } from "../../src/providers/types";
import casekeeperStep from "../fixtures/casekeeper-step-result.json";
import casekeeperUpdated from "../fixtures/casekeeper-verification-updated.json";
import karmaCase from "../fixtures/karmacheck-case-statuschange.json";
import karmaService from "../fixtures/karmacheck-casedata-statuschange.json";
import keldairEvent from "../fixtures/keldair-event.json";
import trueworkCompleted from "../fixtures/truework-order-completed.json";
import trueworkStateChange from "../fixtures/truework-verification-state-change.json";

// ---- helpers ---------------------------------------------------------------------------------

type Json = Record<string, any>;

function req(json: unknown, headers: Record<string, string> = {}): InboundRequest {
  return { headers: new Headers(headers), rawBody: JSON.stringify(json) ?? "", json, now: Math.floor(Date.now() / 1000) };
}

/** A deep copy of a fixture, changed by `edit`. */
function variant<T>(fixture: T, edit: (copy: Json) => void = () => {}): Json {
  const copy = structuredClone(fixture) as Json;
  edit(copy);
  return copy;
}

function parseOk<C>(adapter: ProviderAdapter<C>, json: unknown, config: C): ParsedEvent {
  const result = adapter.parse(req(json), config);
  if (!result.ok) throw new Error(`expected ok, got issues ${JSON.stringify(result.issues)}`);
  return result.event;
}

function issuePaths<C>(adapter: ProviderAdapter<C>, json: unknown, config: C): string[] {
  const result = adapter.parse(req(json), config);
  expect(result.ok).toBe(false);
  if (result.ok) return [];
  expect(result.issues.length).toBeGreaterThan(0);
  return result.issues.map((i) => i.path);
}

/** normalize after parse, as the pipeline does: `state` is the refetched entity when `verified`. */
function normalizeFixture<C>(adapter: ProviderAdapter<C>, config: C, json: unknown, state: unknown, verified = true) {
  const event = parseOk(adapter, json, config);
  const input: NormalizeInput = { event, state: verified ? state : event.body, verified, trusted: true };
  const n = adapter.normalize(input, config);
  expect(STATUSES).toContain(n.status);
  expect(EVENT_TYPES).toContain(n.type);
  return n;
}

// Configs as POST /v1/sources would store them: always through the adapter's own schema.
const kcConfig = karmacheck.configSchema.parse({ username: "kc-user", password: "kc-pass-7Qx" });
const twConfig = truework.configSchema.parse({ tokens: ["tw-token-0123456789"] });
const ckConfig = casekeeper.configSchema.parse({
  api: { base_url: "https://casekeeper.example.com", client_id: "relay", client_secret: "ck-secret" },
});
const kdConfig = keldair.configSchema.parse({ verify: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" } });
const stdConfig = standard.configSchema.parse({
  verify: { scheme: "token", header: "x-token", tokens: ["std-token-0123456789"] },
  fields: { case_id: "/data/case/id", event_id: "/event/id", type: "/event/type", version: "/event/at", status: "/status", group: "/team" },
  status_map: { done: "completed", waiting: "pending", stuck: "action_required", dropped: "canceled" },
});
const stdEnvelope = {
  event: { id: "evt_1", type: "thing.updated", at: "2024-07-01T00:00:00Z" },
  data: { case: { id: "case-42" } },
  status: "waiting",
  team: "north",
};

// ---- every fixture parses ------------------------------------------------------------------

describe("parse: every fixture", () => {
  const kcEo = karmaCase.eventObject;
  const svcEo = karmaService.eventObject;
  const cases: {
    name: string;
    run: () => ParsedEvent;
    expected: Pick<ParsedEvent, "caseId" | "version" | "eventType" | "subject" | "dedupeKey" | "providerEventId">;
  }[] = [
    {
      name: "karmacheck-case-statuschange",
      run: () => parseOk(karmacheck, karmaCase, kcConfig),
      expected: {
        caseId: kcEo.id,
        version: kcEo.modStamp,
        eventType: "case.statuschange",
        subject: "case",
        dedupeKey: dedupeKey([kcEo.id, kcEo.caseStatusId, kcEo.secondaryCaseStatusId, kcEo.modStamp]),
        providerEventId: karmaCase.messageId,
      },
    },
    {
      name: "karmacheck-casedata-statuschange",
      run: () => parseOk(karmacheck, karmaService, kcConfig),
      expected: {
        caseId: svcEo.caseId,
        version: svcEo.modStamp,
        eventType: "casedata.statuschange",
        subject: `check:${svcEo.id}`,
        dedupeKey: dedupeKey([svcEo.id, svcEo.statusId, svcEo.secondaryStatusId, svcEo.pendingStatusId, svcEo.modStamp]),
        providerEventId: karmaService.messageId,
      },
    },
    {
      name: "truework-order-completed",
      run: () => parseOk(truework, trueworkCompleted, twConfig),
      expected: {
        caseId: "ord_7f3c1b2a9e8d4c6b",
        version: "2024-04-02T15:04:05.000000Z",
        eventType: "order.completed",
        subject: "case",
        dedupeKey: dedupeKey(["order.completed", "ord_7f3c1b2a9e8d4c6b", null, null, "2024-04-02T15:04:05.000000Z"]),
        providerEventId: null,
      },
    },
    {
      name: "truework-verification-state-change",
      run: () => parseOk(truework, trueworkStateChange, twConfig),
      expected: {
        caseId: "ord_7f3c1b2a9e8d4c6b",
        version: "2024-04-01T11:22:33.000000Z",
        eventType: "verification_request.state.change",
        subject: "check:vr_1a2b3c4d5e6f",
        dedupeKey: dedupeKey([
          "verification_request.state.change",
          "ord_7f3c1b2a9e8d4c6b",
          "vr_1a2b3c4d5e6f",
          "action-required",
          "2024-04-01T11:22:33.000000Z",
        ]),
        providerEventId: null,
      },
    },
    {
      name: "casekeeper-verification-updated",
      run: () => parseOk(casekeeper, casekeeperUpdated, ckConfig),
      expected: {
        caseId: "01234567-89ab-cdef-0123-456789abcdef",
        version: "2024-06-01T08:30:00.000Z",
        eventType: "verification.updated",
        subject: "case",
        dedupeKey: dedupeKey(["verification.updated", "01234567-89ab-cdef-0123-456789abcdef", "2024-06-01T08:30:00.000Z"]),
        providerEventId: null,
      },
    },
    {
      name: "casekeeper-step-result",
      run: () => parseOk(casekeeper, casekeeperStep, ckConfig),
      expected: {
        caseId: "01234567-89ab-cdef-0123-456789abcdef",
        version: "2024-06-01T08:35:00.000Z",
        eventType: "verification.frontIdCardResult.confirmed",
        subject: "check:frontIdCardResult",
        dedupeKey: dedupeKey(["verification.frontIdCardResult.confirmed", "01234567-89ab-cdef-0123-456789abcdef", "2024-06-01T08:35:00.000Z"]),
        providerEventId: null,
      },
    },
    {
      name: "keldair-event",
      run: () => parseOk(keldair, keldairEvent, kdConfig),
      expected: {
        caseId: "app_00012345",
        version: "2022-02-23T18:46:43+00:00",
        eventType: "applicant.hired",
        subject: "case",
        dedupeKey: dedupeKey(["4183db97-6805-411f-b8fd-325cbf5ed90f"]),
        providerEventId: "4183db97-6805-411f-b8fd-325cbf5ed90f",
      },
    },
  ];

  it.each(cases)("$name", ({ run, expected }) => {
    expect(run()).toMatchObject(expected);
  });
});

// ---- KarmaCheck ----------------------------------------------------------------------------

describe("karmacheck", () => {
  describe("parse", () => {
    const key = (json: unknown) => parseOk(karmacheck, json, kcConfig).dedupeKey;

    it("gives one dedupe key to two deliveries differing only in messageId", () => {
      const redelivery = variant(karmaCase, (j) => (j.messageId = "0b6f2a51-0000-4000-8000-000000000001"));
      expect(key(redelivery)).toBe(key(karmaCase));
      const serviceRedelivery = variant(karmaService, (j) => (j.messageId = "another"));
      expect(key(serviceRedelivery)).toBe(key(karmaService));
    });

    it.each(["id", "caseStatusId", "secondaryCaseStatusId", "modStamp"])("changes the case dedupe key when eventObject.%s changes", (field) => {
      expect(key(variant(karmaCase, (j) => (j.eventObject[field] = "changed")))).not.toBe(key(karmaCase));
    });

    it.each(["id", "statusId", "secondaryStatusId", "pendingStatusId", "modStamp"])("changes the service dedupe key when eventObject.%s changes", (field) => {
      expect(key(variant(karmaService, (j) => (j.eventObject[field] = "changed")))).not.toBe(key(karmaService));
    });

    it("ignores fields outside the dedupe rule", () => {
      const other = variant(karmaCase, (j) => {
        j.eventObject.candidateEmail = "someone@example.com";
        j.eventObject.caseStatus = "Complete"; // the name; caseStatusId is what counts
        j.apiTrackingCode = "trk";
      });
      expect(key(other)).toBe(key(karmaCase));
    });

    it("keeps a null in place so moved values cannot collide", () => {
      const a = variant(karmaService, (j) => {
        j.eventObject.secondaryStatusId = "x";
        j.eventObject.pendingStatusId = null;
      });
      const b = variant(karmaService, (j) => {
        j.eventObject.secondaryStatusId = null;
        j.eventObject.pendingStatusId = "x";
      });
      expect(key(a)).not.toBe(key(b));
    });

    it("strips username and password from the body and keeps everything else", () => {
      for (const fixture of [karmaCase, karmaService]) {
        const withCreds = variant(fixture, (j) => {
          j.username = "kc-user";
          j.password = "kc-pass-7Qx";
        });
        const body = parseOk(karmacheck, withCreds, kcConfig).body as Json;
        expect(Object.keys(body)).not.toContain("username");
        expect(Object.keys(body)).not.toContain("password");
        expect(JSON.stringify(body)).not.toContain("kc-pass-7Qx");
        expect(body).toMatchObject({ messageId: fixture.messageId, event: fixture.event, apiTrackingCode: null, eventObject: fixture.eventObject });
      }
      // The fixtures carry null credentials: those keys go too.
      expect(Object.keys(parseOk(karmacheck, karmaCase, kcConfig).body as Json)).not.toContain("username");
    });

    it("does not change the request's own JSON while stripping", () => {
      const json = variant(karmaCase, (j) => (j.password = "kc-pass-7Qx"));
      parseOk(karmacheck, json, kcConfig);
      expect(json.password).toBe("kc-pass-7Qx");
    });

    it("accepts numeric ids as text", () => {
      const event = parseOk(
        karmacheck,
        variant(karmaCase, (j) => (j.eventObject.id = 1234)),
        kcConfig,
      );
      expect(event.caseId).toBe("1234");
    });

    it("treats an unknown event with a caseId as a service event", () => {
      const event = parseOk(
        karmacheck,
        variant(karmaService, (j) => (j.event = "casedocument.added")),
        kcConfig,
      );
      expect(event).toMatchObject({ caseId: karmaService.eventObject.caseId, subject: `check:${karmaService.eventObject.id}` });
    });

    it("gives a null version when modStamp is missing", () => {
      expect(
        parseOk(
          karmacheck,
          variant(karmaCase, (j) => delete j.eventObject.modStamp),
          kcConfig,
        ).version,
      ).toBeNull();
    });

    it.each([
      ["eventObject.id", (j: Json) => delete j.eventObject.id],
      ["eventObject.id", (j: Json) => (j.eventObject.id = "")],
      ["eventObject", (j: Json) => delete j.eventObject],
      ["messageId", (j: Json) => delete j.messageId],
      ["event", (j: Json) => delete j.event],
    ])("reports a missing %s", (path, edit) => {
      expect(issuePaths(karmacheck, variant(karmaCase, edit), kcConfig)).toContain(path);
    });

    it.each([
      ["missing", (j: Json) => delete j.eventObject.caseId],
      ["null", (j: Json) => (j.eventObject.caseId = null)],
      ["empty", (j: Json) => (j.eventObject.caseId = "")],
    ])("reports eventObject.caseId when a service event's case id is %s", (_, edit) => {
      expect(issuePaths(karmacheck, variant(karmaService, edit), kcConfig)).toEqual(["eventObject.caseId"]);
    });

    it("reports a body that is not an object at the root", () => {
      expect(issuePaths(karmacheck, [1, 2], kcConfig)).toEqual(["(root)"]);
      expect(issuePaths(karmacheck, "text", kcConfig)).toEqual(["(root)"]);
    });
  });

  describe("normalize", () => {
    const caseState = (fields: Json) => ({ id: karmaCase.eventObject.id, groupProfileId: "grp-1", ...fields });
    const normCase = (state: Json) => normalizeFixture(karmacheck, kcConfig, karmaCase, caseState(state));

    it.each([
      ["Pending", "Waiting for Authorization", "pending", "case.updated"],
      ["Pending", "Authorization in Progress", "in_progress", "case.updated"],
      ["Pending", "Verifying Candidate Input", "in_progress", "case.updated"],
      ["Pending", "Reviewing Order", "in_progress", "case.updated"],
      ["Pending", "Waiting for Parental Consent", "action_required", "case.updated"],
      ["Pending", "Consider", "action_required", "case.updated"],
      ["Pending", null, "in_progress", "case.updated"],
      ["Blocked", null, "action_required", "case.updated"],
      ["Pending", "Canceled", "canceled", "case.canceled"],
      ["Complete", "Canceled", "canceled", "case.canceled"],
      ["Complete", null, "completed", "case.completed"],
      ["Complete", "Consider", "completed", "case.completed"],
      ["Adjudicated", null, "completed", "case.completed"],
    ] as const)("caseStatus %s / secondaryStatus %s -> %s (%s)", (primary, secondary, status, type) => {
      const n = normCase({ caseStatus: primary, secondaryStatus: secondary });
      expect(n).toMatchObject({ status, type, check: null, terminal: ["completed", "canceled"].includes(status) });
      expect(n.provider_status).toBe(secondary ? `${primary} / ${secondary}` : primary);
    });

    it("matches status names case-insensitively and reads secondaryCaseStatus too", () => {
      expect(normCase({ caseStatus: "COMPLETE" })).toMatchObject({ status: "completed", terminal: true });
      expect(normCase({ caseStatus: "Pending", secondaryCaseStatus: "authorization in progress" }).status).toBe("in_progress");
    });

    it("is in_progress with no provider_status when the state has no status", () => {
      expect(normCase({})).toMatchObject({ status: "in_progress", provider_status: null, type: "case.updated", terminal: false });
    });

    it("takes groupProfileId as the group", () => {
      expect(normCase({ caseStatus: "Pending" }).group).toBe("grp-1");
      // Without it in the state, the webhook's own groupProfileId.
      const n = normalizeFixture(karmacheck, kcConfig, karmaCase, { id: karmaCase.eventObject.id, caseStatus: "Pending" });
      expect(n.group).toBe(karmaCase.eventObject.groupProfileId);
    });

    it("reads an unverified case event from the webhook's eventObject", () => {
      const n = normalizeFixture(karmacheck, kcConfig, karmaCase, null, false);
      expect(n).toMatchObject({
        type: "case.updated",
        status: "pending",
        provider_status: "Pending / Waiting for Authorization",
        group: karmaCase.eventObject.groupProfileId,
        terminal: false,
      });
    });

    describe("a casedata event", () => {
      const svc = karmaService.eventObject;
      const refetchedCase = (service: Json, caseFields: Json = { caseStatus: "Pending" }) => ({
        id: svc.caseId,
        groupProfileId: "grp-2",
        ...caseFields,
        services: [
          { id: "other-service", serviceName: "County Criminal", status: "consider" },
          { id: svc.id, ...service },
        ],
      });

      it("is check.updated with the service as the check", () => {
        const n = normalizeFixture(karmacheck, kcConfig, karmaService, refetchedCase({ serviceName: "SSN Trace", status: "clear" }));
        expect(n).toEqual({
          type: "check.updated",
          status: "in_progress",
          provider_status: "Pending",
          check: { id: svc.id, name: "SSN Trace", status: "completed", provider_status: "clear" },
          terminal: false,
          group: "grp-2",
        });
      });

      it("stays check.updated when the case itself completes", () => {
        const n = normalizeFixture(karmacheck, kcConfig, karmaService, refetchedCase({ status: "complete" }, { caseStatus: "Complete" }));
        expect(n).toMatchObject({ type: "check.updated", status: "completed", terminal: true });
        expect(n.check?.status).toBe("completed");
      });

      it.each([
        ["acknowledge", "pending"],
        ["pending", "in_progress"],
        ["clear", "completed"],
        ["complete", "completed"],
        ["not_found", "completed"],
        ["consider", "action_required"],
        ["error", "action_required"],
        ["canceled", "canceled"],
        ["something-new", "in_progress"],
      ] as const)("maps service status %s to %s", (raw, status) => {
        const n = normalizeFixture(karmacheck, kcConfig, karmaService, refetchedCase({ status: raw }));
        expect(n.check).toMatchObject({ id: svc.id, status, provider_status: raw });
      });

      it("shows the pending status next to the service status", () => {
        const n = normalizeFixture(karmacheck, kcConfig, karmaService, refetchedCase({ status: "pending", pendingStatus: "Awaiting Records" }));
        expect(n.check?.provider_status).toBe("pending / Awaiting Records");
      });

      it("falls back to the webhook's eventObject when the service is not in the refetched case", () => {
        const n = normalizeFixture(karmacheck, kcConfig, karmaService, { id: svc.caseId, caseStatus: "Pending", services: [] });
        expect(n.check).toEqual({ id: svc.id, name: "SSN Trace", status: "in_progress", provider_status: "pending" });
      });

      it("without an API, describes the service from the body and leaves the case status unknown", () => {
        const n = normalizeFixture(karmacheck, kcConfig, karmaService, null, false);
        expect(n).toEqual({
          type: "check.updated",
          status: "in_progress",
          provider_status: null,
          check: { id: svc.id, name: "SSN Trace", status: "in_progress", provider_status: "pending" },
          terminal: false,
          group: svc.groupProfileId,
        });
      });
    });
  });
});

// ---- Truework ------------------------------------------------------------------------------

describe("truework", () => {
  describe("parse", () => {
    const key = (json: unknown) => parseOk(truework, json, twConfig).dedupeKey;

    it("keeps the whole body (there are no credentials in it)", () => {
      expect(parseOk(truework, trueworkStateChange, twConfig).body).toEqual(trueworkStateChange);
    });

    it("dedupes on what changed and when, not on hook.id (the subscription)", () => {
      expect(key(variant(trueworkStateChange, (j) => (j.hook.id = "hook_other")))).toBe(key(trueworkStateChange));
      expect(key(variant(trueworkStateChange, (j) => (j.hook.triggered_at = "2024-04-01T11:22:34.000000Z")))).not.toBe(key(trueworkStateChange));
      expect(key(variant(trueworkStateChange, (j) => (j.data.state = "completed")))).not.toBe(key(trueworkStateChange));
      expect(key(variant(trueworkStateChange, (j) => (j.data.verification_request_id = "vr_other")))).not.toBe(key(trueworkStateChange));
      expect(key(trueworkCompleted)).not.toBe(key(variant(trueworkCompleted, (j) => (j.hook.event = "order.canceled"))));
    });

    it("is about the case when a verification_request event names no request", () => {
      const event = parseOk(
        truework,
        variant(trueworkStateChange, (j) => delete j.data.verification_request_id),
        twConfig,
      );
      expect(event.subject).toBe("case");
    });

    it("gives a null version without triggered_at", () => {
      expect(
        parseOk(
          truework,
          variant(trueworkCompleted, (j) => delete j.hook.triggered_at),
          twConfig,
        ).version,
      ).toBeNull();
    });

    it.each([
      ["data.order_id", (j: Json) => delete j.data.order_id],
      ["data.order_id", (j: Json) => (j.data.order_id = "")],
      ["data", (j: Json) => delete j.data],
      ["hook.event", (j: Json) => delete j.hook.event],
      ["hook", (j: Json) => delete j.hook],
    ])("reports a missing %s", (path, edit) => {
      expect(issuePaths(truework, variant(trueworkCompleted, edit), twConfig)).toContain(path);
    });
  });

  describe("normalize", () => {
    const vr = trueworkStateChange.data.verification_request_id;

    it("makes order.completed case.completed, terminal", () => {
      for (const [state, verified] of [
        [{ id: "ord_7f3c1b2a9e8d4c6b", status: "completed" }, true],
        [null, false],
      ] as const) {
        const n = normalizeFixture(truework, twConfig, trueworkCompleted, state, verified);
        expect(n).toMatchObject({ type: "case.completed", status: "completed", check: null, terminal: true, group: null });
      }
      expect(normalizeFixture(truework, twConfig, trueworkCompleted, null, false).provider_status).toBe("order.completed");
    });

    it.each([
      ["pending-approval", "pending", "case.updated"],
      ["processing", "in_progress", "case.updated"],
      ["action-required", "action_required", "case.updated"],
      ["action-requred", "action_required", "case.updated"],
      ["action_required", "action_required", "case.updated"],
      ["other", "in_progress", "case.updated"],
      ["completed", "completed", "case.completed"],
      ["canceled", "canceled", "case.canceled"],
      ["invalid", "canceled", "case.canceled"],
    ] as const)("maps an order in state %s to %s", (state, status, type) => {
      const n = normalizeFixture(
        truework,
        twConfig,
        variant(trueworkCompleted, (j) => (j.hook.event = "order.updated")),
        {
          id: "ord_7f3c1b2a9e8d4c6b",
          status: state,
        },
      );
      expect(n).toMatchObject({ type, status, provider_status: state, terminal: ["completed", "canceled"].includes(status) });
    });

    it.each(["action-required", "action-requred"])("makes a verification request in %s a check.updated with action_required", (state) => {
      const json = variant(trueworkStateChange, (j) => (j.data.state = state));
      const n = normalizeFixture(truework, twConfig, json, null, false);
      expect(n).toMatchObject({
        type: "check.updated",
        status: "in_progress",
        check: { id: vr, status: "action_required", provider_status: state },
        terminal: false,
      });
    });

    it("reads the check from the refetched order when verified", () => {
      const order = {
        id: "ord_7f3c1b2a9e8d4c6b",
        status: "processing",
        verification_requests: [
          { id: "vr_other", state: "completed", type: "income" },
          { id: vr, state: "invalid", type: "employment" },
        ],
      };
      const n = normalizeFixture(truework, twConfig, trueworkStateChange, order);
      expect(n).toEqual({
        type: "check.updated",
        status: "in_progress",
        provider_status: "processing",
        check: { id: vr, name: "employment", status: "canceled", provider_status: "invalid" },
        terminal: false,
        group: null,
      });
    });

    it("marks an invalid order canceled and terminal", () => {
      const n = normalizeFixture(truework, twConfig, trueworkStateChange, { id: "ord_7f3c1b2a9e8d4c6b", status: "invalid", verification_requests: [] });
      expect(n).toMatchObject({ type: "check.updated", status: "canceled", terminal: true });
      // The check comes from the webhook when the order does not list it.
      expect(n.check).toEqual({ id: vr, name: null, status: "action_required", provider_status: "action-required" });
    });
  });
});

// ---- Case Keeper ---------------------------------------------------------------------------

describe("casekeeper", () => {
  describe("parse", () => {
    const key = (json: unknown) => parseOk(casekeeper, json, ckConfig).dedupeKey;
    const withoutTimestamp = variant(casekeeperUpdated, (j) => delete j.data.updatedAt);

    it("keeps the body as received", () => {
      expect(parseOk(casekeeper, casekeeperUpdated, ckConfig).body).toEqual(casekeeperUpdated);
    });

    it("dedupes on key, id and updatedAt", () => {
      expect(key(variant(casekeeperUpdated, (j) => (j.data.extra = "x")))).toBe(key(casekeeperUpdated));
      expect(key(variant(casekeeperUpdated, (j) => (j.data.updatedAt = "2024-06-01T08:31:00.000Z")))).not.toBe(key(casekeeperUpdated));
      expect(key(variant(casekeeperUpdated, (j) => (j.key = "verification.verified")))).not.toBe(key(casekeeperUpdated));
    });

    it("without a timestamp, dedupes on the data with presigned URLs' queries ignored", () => {
      const resigned = variant(withoutTimestamp, (j) => {
        j.data.frontIdCardResult.imageUrl = j.data.frontIdCardResult.imageUrl.replace("X-Amz-Signature=abc123", "X-Amz-Signature=def456");
      });
      expect(parseOk(casekeeper, withoutTimestamp, ckConfig).version).toBeNull();
      expect(key(resigned)).toBe(key(withoutTimestamp));
      expect(key(variant(withoutTimestamp, (j) => (j.data.status = "completed")))).not.toBe(key(withoutTimestamp));
    });

    it.each([
      ["verification.created", "case"],
      ["verification.deleted", "case"],
      ["verification.frontIdCardResult.created", "check:frontIdCardResult"],
      ["verification.appointment.validated", "check:appointment"],
      ["verification.sanction.created", "check:sanction"],
      ["verification.criminalCheckResult.resultDocumentUrl.read", "check:criminalCheckResult"],
    ])("makes %s about %s", (k, subject) => {
      expect(
        parseOk(
          casekeeper,
          variant(casekeeperUpdated, (j) => (j.key = k)),
          ckConfig,
        ).subject,
      ).toBe(subject);
    });

    it.each([
      ["key", (j: Json) => delete j.key],
      ["key", (j: Json) => (j.key = "order.updated")],
      ["data.id", (j: Json) => delete j.data.id],
      ["data", (j: Json) => delete j.data],
    ])("reports a missing or wrong %s", (path, edit) => {
      expect(issuePaths(casekeeper, variant(casekeeperUpdated, edit), ckConfig)).toContain(path);
    });
  });

  describe("normalize", () => {
    const id = casekeeperUpdated.data.id;
    const withKey = (k: string) => variant(casekeeperUpdated, (j) => (j.key = k));

    it("makes verification.created case.created", () => {
      expect(normalizeFixture(casekeeper, ckConfig, withKey("verification.created"), { id, status: "created" })).toMatchObject({
        type: "case.created",
        status: "pending",
        terminal: false,
      });
      expect(normalizeFixture(casekeeper, ckConfig, withKey("verification.created"), null, false)).toMatchObject({
        type: "case.created",
        status: "pending",
        provider_status: "created",
      });
    });

    it("makes verification.deleted case.deleted, terminal", () => {
      expect(normalizeFixture(casekeeper, ckConfig, withKey("verification.deleted"), null, false)).toMatchObject({
        type: "case.deleted",
        status: "deleted",
        terminal: true,
        check: null,
      });
    });

    it("takes the refetched status over the event key", () => {
      expect(normalizeFixture(casekeeper, ckConfig, casekeeperUpdated, { id, status: "in_progress" })).toMatchObject({
        type: "case.updated",
        status: "in_progress",
        provider_status: "in_progress",
      });
      expect(normalizeFixture(casekeeper, ckConfig, casekeeperUpdated, { id, status: "completed" })).toMatchObject({
        type: "case.completed",
        terminal: true,
      });
      expect(normalizeFixture(casekeeper, ckConfig, casekeeperUpdated, { id, status: "expired" })).toMatchObject({ type: "case.canceled" });
    });

    it("never trusts an unverified body's status", () => {
      const forged = variant(casekeeperUpdated, (j) => (j.data.status = "completed"));
      expect(normalizeFixture(casekeeper, ckConfig, forged, null, false)).toMatchObject({ type: "case.updated", status: "in_progress" });
    });

    it("makes a step key check.updated with the step as the check", () => {
      const n = normalizeFixture(casekeeper, ckConfig, casekeeperStep, { id, status: "in_progress", frontIdCardResult: { status: "confirmed" } });
      expect(n).toEqual({
        type: "check.updated",
        status: "in_progress",
        provider_status: "in_progress",
        check: { id: "frontIdCardResult", name: "frontIdCardResult", status: "completed", provider_status: "confirmed" },
        terminal: false,
        group: null,
      });
    });

    it.each([
      ["verification.dopaResult.created", "dopaResult", "in_progress", "created"],
      ["verification.passportResult.updated", "passportResult", "in_progress", "updated"],
      ["verification.appointment.validated", "appointment", "completed", "validated"],
      ["verification.criminalCheckResult.resultDocumentUrl.read", "criminalCheckResult", "completed", "resultDocumentUrl.read"],
    ] as const)("describes %s from the key when unverified", (k, step, status, providerStatus) => {
      const n = normalizeFixture(casekeeper, ckConfig, withKey(k), null, false);
      expect(n.type).toBe("check.updated");
      expect(n.check).toEqual({ id: step, name: step, status, provider_status: providerStatus });
    });
  });
});

// ---- KeldairHR -----------------------------------------------------------------------------

describe("keldair", () => {
  describe("parse", () => {
    it("dedupes on id alone", () => {
      const key = (json: unknown) => parseOk(keldair, json, kdConfig).dedupeKey;
      expect(key(variant(keldairEvent, (j) => (j.dateOccurred = "2022-02-24T00:00:00+00:00")))).toBe(key(keldairEvent));
      expect(key(variant(keldairEvent, (j) => (j.id = "other")))).not.toBe(key(keldairEvent));
    });

    it("reads the case id from a configured pointer", () => {
      const config = keldair.configSchema.parse({ verify: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }, case_id_pointer: "/data/jobId" });
      expect(parseOk(keldair, keldairEvent, config).caseId).toBe("job_981");
      const numeric = variant(keldairEvent, (j) => (j.data.jobId = 981));
      expect(parseOk(keldair, numeric, config).caseId).toBe("981");
    });

    it.each([
      ["data.id", (j: Json) => delete j.data.id],
      ["data.id", (j: Json) => (j.data.id = "")],
      ["data.id", (j: Json) => (j.data = null)],
      ["id", (j: Json) => delete j.id],
      ["type", (j: Json) => delete j.type],
    ])("reports a missing %s", (path, edit) => {
      expect(issuePaths(keldair, variant(keldairEvent, edit), kdConfig)).toContain(path);
    });

    it("reports the configured pointer's path when the case id is missing", () => {
      const config = keldair.configSchema.parse({ verify: { secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" }, case_id_pointer: "/data/applicant/id" });
      expect(issuePaths(keldair, keldairEvent, config)).toEqual(["data.applicant.id"]);
    });
  });

  describe("normalize", () => {
    const withType = (type: string) => variant(keldairEvent, (j) => (j.type = type));

    it("makes applicant.hired case.updated with the event type as provider_status", () => {
      expect(normalizeFixture(keldair, kdConfig, keldairEvent, null, false)).toEqual({
        type: "case.updated",
        status: "in_progress",
        provider_status: "applicant.hired",
        check: null,
        terminal: false,
        group: null,
      });
    });

    it.each([
      ["applicant.created", "case.created", "pending", false],
      ["onboarding.created", "case.created", "pending", false],
      ["applicant.deleted", "case.deleted", "deleted", true],
      ["onboarding.completed", "case.updated", "in_progress", false],
    ] as const)("makes %s %s", (type, envelopeType, status, terminal) => {
      expect(normalizeFixture(keldair, kdConfig, withType(type), null, false)).toMatchObject({ type: envelopeType, status, terminal, provider_status: type });
    });
  });
});

// ---- standard ------------------------------------------------------------------------------

describe("standard", () => {
  describe("parse", () => {
    it("reads every field through its pointer", () => {
      expect(parseOk(standard, stdEnvelope, stdConfig)).toEqual({
        caseId: "case-42",
        dedupeKey: dedupeKey(["evt_1"]),
        providerEventId: "evt_1",
        eventType: "thing.updated",
        version: "2024-07-01T00:00:00Z",
        subject: "case",
        body: stdEnvelope,
      });
    });

    it("follows RFC 6901 escapes and array indexes", () => {
      const config = standard.configSchema.parse({
        verify: { scheme: "token", header: "x-token", tokens: ["hook-token-0123456789"] },
        fields: { case_id: "/items/1/a~1b", type: "/m~0n" },
      });
      const event = parseOk(standard, { items: [{}, { "a/b": 7 }], "m~n": "kind.changed" }, config);
      expect(event).toMatchObject({ caseId: "7", eventType: "kind.changed", version: null, providerEventId: null });
    });

    it("without an event id, dedupes on type, case, version and the body", () => {
      const config = standard.configSchema.parse({
        verify: { scheme: "token", header: "x-token", tokens: ["hook-token-0123456789"] },
        fields: { case_id: "/id" },
      });
      const key = (json: unknown) => parseOk(standard, json, config).dedupeKey;
      expect(parseOk(standard, { id: "c1" }, config).eventType).toBe("event");
      expect(key({ id: "c1", n: 1 })).toBe(key({ id: "c1", n: 1 }));
      expect(key({ id: "c1", n: 1 })).not.toBe(key({ id: "c1", n: 2 }));
    });

    it("reports the case id's path when it is missing", () => {
      expect(issuePaths(standard, { data: { case: {} } }, stdConfig)).toEqual(["data.case.id"]);
      expect(issuePaths(standard, { ...stdEnvelope, data: { case: { id: "" } } }, stdConfig)).toEqual(["data.case.id"]);
    });

    it("reports the event id's path when it is configured but missing", () => {
      expect(issuePaths(standard, { ...stdEnvelope, event: { type: "x" } }, stdConfig)).toEqual(["event.id"]);
    });

    it("reports a body that is not JSON object or array", () => {
      for (const json of ["text", 12, null, true]) expect(issuePaths(standard, json, stdConfig)).toEqual(["(root)"]);
    });
  });

  describe("normalize", () => {
    it("maps the status through status_map and reads the group pointer", () => {
      for (const [raw, status, type] of [
        ["done", "completed", "case.completed"],
        ["waiting", "pending", "case.updated"],
        ["stuck", "action_required", "case.updated"],
        ["dropped", "canceled", "case.canceled"],
        ["unmapped", "in_progress", "case.updated"],
      ] as const) {
        const n = normalizeFixture(standard, stdConfig, stdEnvelope, { status: raw, team: "south" });
        expect(n).toEqual({ type, status, provider_status: raw, check: null, terminal: ["completed", "canceled"].includes(status), group: "south" });
      }
    });

    it("reads status and group from the body when the state lacks them", () => {
      expect(normalizeFixture(standard, stdConfig, stdEnvelope, { unrelated: true })).toMatchObject({
        status: "pending",
        provider_status: "waiting",
        group: "north",
      });
      expect(normalizeFixture(standard, stdConfig, stdEnvelope, null, false)).toMatchObject({ status: "pending", group: "north" });
    });

    it("uses the type's suffix for created and deleted", () => {
      const created = { ...stdEnvelope, status: "unmapped", event: { ...stdEnvelope.event, type: "thing.created" } };
      expect(normalizeFixture(standard, stdConfig, created, null, false)).toMatchObject({ type: "case.created", status: "in_progress" });
      const deleted = { ...stdEnvelope, status: "unmapped", event: { ...stdEnvelope.event, type: "thing.deleted" } };
      expect(normalizeFixture(standard, stdConfig, deleted, null, false)).toMatchObject({ type: "case.deleted", status: "deleted", terminal: true });
    });

    it("has no status or group without their pointers", () => {
      const config = standard.configSchema.parse({
        verify: { scheme: "token", header: "x-token", tokens: ["hook-token-0123456789"] },
        fields: { case_id: "/id" },
      });
      expect(normalizeFixture(standard, config, { id: "c1", status: "done" }, null, false)).toMatchObject({
        status: "in_progress",
        provider_status: null,
        group: null,
      });
    });
  });
});

// ---- provider-chosen strings that name Object.prototype members --------------------------

describe("status words that are Object.prototype member names", () => {
  const words = ["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"];

  it.each(words)("%s maps to a known status in every adapter", (word) => {
    const results = [
      normalizeFixture(karmacheck, kcConfig, karmaCase, { caseStatus: word, secondaryStatus: word }),
      normalizeFixture(karmacheck, kcConfig, karmaService, { caseStatus: word, services: [{ id: karmaService.eventObject.id, status: word }] }),
      normalizeFixture(truework, twConfig, trueworkStateChange, { status: word, verification_requests: [{ id: "vr_1a2b3c4d5e6f", state: word }] }),
      normalizeFixture(casekeeper, ckConfig, casekeeperStep, { status: word, frontIdCardResult: { status: word } }),
      normalizeFixture(
        casekeeper,
        ckConfig,
        variant(casekeeperUpdated, (j) => (j.key = `verification.${word}`)),
        null,
        false,
      ),
      normalizeFixture(
        casekeeper,
        ckConfig,
        variant(casekeeperUpdated, (j) => (j.key = `verification.step.${word}`)),
        null,
        false,
      ),
      normalizeFixture(standard, stdConfig, stdEnvelope, { status: word }),
    ];
    for (const n of results) {
      expect(STATUSES).toContain(n.status);
      if (n.check) expect(STATUSES).toContain(n.check.status);
    }
  });
});

describe("refetched entries whose id is not text", () => {
  // Valid JSON: `String(id)` on such an object throws, which once made normalize throw.
  const odd = JSON.parse('[{"id":{"toString":1}},{"id":{"valueOf":{}}},{"id":[{"toString":null}]}]') as Json[];

  it("are skipped while looking for the check", () => {
    const svc = karmaService.eventObject;
    const kc = normalizeFixture(karmacheck, kcConfig, karmaService, {
      id: svc.caseId,
      caseStatus: "Pending",
      services: [...odd, { id: svc.id, status: "clear" }],
    });
    expect(kc.check).toMatchObject({ id: svc.id, status: "completed" });
    const tw = normalizeFixture(truework, twConfig, trueworkStateChange, {
      status: "processing",
      verification_requests: [...odd, { id: "vr_1a2b3c4d5e6f", state: "completed" }],
    });
    expect(tw.check).toMatchObject({ id: "vr_1a2b3c4d5e6f", status: "completed" });
  });

  it("still match numeric ids as text", () => {
    const n = normalizeFixture(
      karmacheck,
      kcConfig,
      variant(karmaService, (j) => (j.eventObject.id = 77)),
      { caseStatus: "Pending", services: [{ id: 77, status: "consider" }] },
    );
    expect(n.check).toMatchObject({ id: "77", status: "action_required" });
  });
});
