// The demo's six stories, built from the providers' webhook docs and the payload shapes of
// test/fixtures. Each story changes its case in the sandbox as the provider would, then sends the
// provider's webhook through `ctx.step`, which waits until the relay has dealt with it.
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { Webhook } from "standardwebhooks";

const hex = (bytes) => randomBytes(bytes).toString("hex");
const MINUTE = 60_000;

/** Webhook credentials the provider accounts use; the sources are configured with the same. */
export function webhookSecrets() {
  return {
    karmacheck: { username: "caserelay-demo", password: `kc-hook-${hex(12)}` },
    truework: { token: `tw-hook-${hex(12)}` },
    keldair: { secret: `whsec_${randomBytes(24).toString("base64")}` },
    checkr: { signing_secret: `checkr-hook-${hex(16)}` },
    persona: { secret: `wbhsec_${randomUUID()}` },
  };
}

/** `config` of POST /v1/sources per provider: webhook auth as the provider sends it, API bases at the sandbox. */
export function sourceConfigs(sandbox, secrets) {
  const { base, credentials: api } = sandbox;
  return {
    karmacheck: { ...secrets.karmacheck, api: { base_url: base.karmacheck, ...api.karmacheck } },
    truework: { tokens: [secrets.truework.token], api: { base_url: base.truework, ...api.truework } },
    casekeeper: { api: { base_url: base.casekeeper, ...api.casekeeper } },
    keldair: {
      verify: { secret: secrets.keldair.secret },
      refetch: { url: `${base.keldair}/applicants/{case_id}`, headers: { authorization: `Bearer ${api.keldair.token}` } },
    },
    checkr: { signing_secret: secrets.checkr.signing_secret, api: { base_url: base.checkr, ...api.checkr } },
    persona: { secret: secrets.persona.secret, api: { base_url: base.persona, ...api.persona } },
  };
}

/**
 * KarmaCheck: a case through its four documented statuses. Credentials ride in the
 * body; the same webhook can arrive more than once (a retry after 2 minutes, or "multiple events
 * within a short period"); and one webhook is overtaken by the next ("does not guarantee ... the order").
 */
async function karmacheck(ctx, story) {
  const { username, password } = ctx.secrets.karmacheck;
  const caseId = story.caseId;
  const start = Date.now() - 15 * MINUTE;
  const statusIds = { Pending: randomUUID(), Complete: randomUUID(), "Waiting for Authorization": randomUUID(), "Authorization in Progress": randomUUID() };
  const common = {
    id: caseId,
    crStamp: new Date(start).toISOString(),
    groupProfileId: "dd2346e4-ed17-2c66-ce22-06ae7e372fd2",
    candidateId: randomUUID(),
    candidateEmail: "lee@example.com",
  };
  // The case as GET /case/id/{id} shows it after each status change; the webhook's eventObject carries the same fields.
  const stages = [
    ["Pending", "Waiting for Authorization"],
    ["Pending", "Authorization in Progress"],
    ["Pending", null],
    ["Complete", null],
  ].map(([caseStatus, secondaryStatus], i) => ({
    ...common,
    caseStatusId: statusIds[caseStatus],
    caseStatus,
    secondaryCaseStatusId: secondaryStatus && statusIds[secondaryStatus],
    secondaryStatus,
    modStamp: new Date(start + (i + 1) * 3 * MINUTE).toISOString(),
  }));
  const webhook = (eventObject) => ({
    messageId: randomUUID(),
    event: "case.statuschange",
    apiTrackingCode: null,
    apiTrackingUser: null,
    username,
    password,
    eventObject,
  });
  const label = (s) => `case.statuschange  ${s.caseStatus}${s.secondaryStatus ? ` / ${s.secondaryStatus}` : ""}`;
  const [invited, onboarding, processing, complete] = stages;
  const hooks = stages.map(webhook);

  ctx.sandbox.cases.karmacheck.set(caseId, invited);
  await ctx.step(story, { note: label(invited), body: hooks[0], copies: 2 });

  // The candidate authorizes and the case moves on to processing; step 3's webhook overtakes step 2's.
  ctx.sandbox.cases.karmacheck.set(caseId, onboarding);
  ctx.sandbox.cases.karmacheck.set(caseId, processing);
  ctx.log("  (network delay: the 'Authorization in Progress' webhook arrives after the next one)");
  await ctx.step(story, { note: label(processing), body: hooks[2] });
  await ctx.step(story, { note: `${label(onboarding)} (late)`, body: hooks[1], expect: "stale" });

  ctx.sandbox.cases.karmacheck.set(caseId, complete);
  await ctx.step(story, { note: label(complete), body: hooks[3], copies: 3 });
}

/**
 * Truework: one employment verification through processing, action-required and
 * completed, then order.completed; each webhook carries the X-Truework-Token; Truework retries,
 * so the last webhook arrives twice.
 */
async function truework(ctx, story) {
  const orderId = story.caseId;
  const vrId = `vr_${hex(6)}`;
  const start = Date.now() - 30 * MINUTE;
  const headers = { "x-truework-token": ctx.secrets.truework.token };
  const order = (status, vrState) => ({
    id: orderId,
    status,
    created: new Date(start).toISOString(),
    applicant: { first_name: "Lee", last_name: "Okafor" },
    verification_requests: [{ id: vrId, state: vrState, type: "employment", target: { company_name: "Initech" } }],
  });
  // Truework's timestamps have microseconds: "2024-04-01T11:22:33.000000Z".
  const at = (minutes) => new Date(start + minutes * MINUTE).toISOString().replace(/Z$/, "000Z");
  const hook = (event, minutes, data = {}) => ({
    version: "2023-10-30",
    hook: { id: "hook_5b2c0e6f0c3d4f8a", event, target: story.ingestUrl, triggered_at: at(minutes) },
    data: { order_id: orderId, ...data },
  });
  const stateChange = (state, minutes) => hook("verification_request.state.change", minutes, { verification_request_id: vrId, state });

  for (const [i, vrState] of ["processing", "action-required", "completed"].entries()) {
    ctx.sandbox.cases.truework.set(orderId, order(vrState === "completed" ? "completed" : "processing", vrState));
    await ctx.step(story, { note: `verification_request.state.change  ${vrState}`, body: stateChange(vrState, 5 * (i + 1)), headers });
  }
  await ctx.step(story, { note: "order.completed", body: hook("order.completed", 16), headers, copies: 2 });
}

/**
 * Case Keeper: unauthenticated webhooks, so the body is only a hint. One of them claims
 * more than the API says (verification.completed while the verification is still in progress):
 * what is forwarded is the refetched state. The API signs a fresh 5-minute S3 link on every read.
 */
async function casekeeper(ctx, story) {
  const id = story.caseId;
  const start = Date.now() - 20 * MINUTE;
  const at = (minutes) => new Date(start + minutes * MINUTE).toISOString();
  const verification = (status, minutes, frontIdCardResult = null) => ({
    id,
    type: "KYC",
    status,
    createdAt: at(0),
    updatedAt: at(minutes),
    applicant: { firstName: "Lee", lastName: "Okafor" },
    frontIdCardResult,
  });
  const frontIdCard = { status: "confirmed", documentType: "national_id", imageUrl: `s3://casekeeper-demo-uploads/${id}/front.jpg` };
  const hook = (key, data) => ({ key, data: { id, ...data } });

  ctx.sandbox.cases.casekeeper.set(id, verification("created", 1));
  await ctx.step(story, { note: "verification.created", body: hook("verification.created", { status: "created", updatedAt: at(1) }) });

  ctx.sandbox.cases.casekeeper.set(id, verification("in_progress", 4, frontIdCard));
  const sentAt = Date.now();
  const front = await ctx.step(story, {
    note: "verification.frontIdCardResult.confirmed",
    body: hook("verification.frontIdCardResult.confirmed", { updatedAt: at(4), frontIdCardResult: { status: "confirmed" } }),
  });
  const link = front.delivery?.envelope.data.state?.frontIdCardResult?.imageUrl;
  if (link) {
    const signedAt = new URL(link).searchParams.get("X-Amz-Date") ?? "";
    // X-Amz-Date has whole seconds; the link must have been signed after the webhook was sent.
    const fresh = Date.parse(signedAt.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, "$1-$2-$3T$4:$5:$6Z")) >= sentAt - 1000;
    ctx.log(`  · the ID card link in the forwarded state was signed by that refetch (X-Amz-Date ${signedAt}, valid 300 s)`);
    if (!fresh) ctx.problem(story, `the Case Keeper link was signed at ${signedAt}, before the webhook was sent`);
  }

  // A premature webhook: its body says completed, the API still says in_progress.
  const premature = await ctx.step(story, {
    note: "verification.completed  (body: completed, API: in_progress)",
    body: hook("verification.completed", { status: "completed", updatedAt: at(6) }),
    expect: ["forwarded", "unchanged"],
  });
  if (premature.outcome === "forwarded") {
    const status = premature.delivery?.envelope.data.status;
    ctx.log(`  · the body was not trusted: the relay forwarded what the API says, ${status}`);
    if (status !== "in_progress") ctx.problem(story, `the premature verification.completed was forwarded as ${status}`);
  }

  ctx.sandbox.cases.casekeeper.set(id, verification("completed", 9, frontIdCard));
  await ctx.step(story, { note: "verification.completed", body: hook("verification.completed", { status: "completed", updatedAt: at(9) }) });
}

/**
 * Keldair ATS: Standard Webhooks-signed applicant events, refetched through the
 * source's refetch template; and one forged webhook (wrong key) that the relay must refuse.
 */
async function keldair(ctx, story) {
  const id = story.caseId;
  const start = Date.now() - 10 * MINUTE;
  const applicant = (stage) => ({ id, firstName: "Lee", lastName: "Okafor", email: "lee@example.com", jobId: "job_981", stage });
  const event = (type, minutes) => ({
    id: randomUUID(),
    type,
    version: "2022-02-23",
    dateOccurred: new Date(start + minutes * MINUTE).toISOString(),
    data: applicant(type.split(".")[1]),
  });
  /** The Standard Webhooks headers for `raw`, as KeldairHR would send them. */
  const signed = (secret, body) => {
    const raw = JSON.stringify(body);
    const now = new Date();
    return {
      raw,
      headers: {
        "webhook-id": body.id,
        "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
        "webhook-signature": new Webhook(secret).sign(body.id, now, raw),
      },
    };
  };

  ctx.sandbox.cases.keldair.set(id, applicant("applied"));
  await ctx.step(story, { note: "applicant.created", ...signed(ctx.secrets.keldair.secret, event("applicant.created", 1)) });

  const forger = `whsec_${randomBytes(24).toString("base64")}`;
  await ctx.step(story, { note: "applicant.hired, forged (signed with the wrong key)", ...signed(forger, event("applicant.hired", 2)), expectStatus: 401 });

  ctx.sandbox.cases.keldair.set(id, applicant("hired"));
  await ctx.step(story, { note: "applicant.hired", ...signed(ctx.secrets.keldair.secret, event("applicant.hired", 5)) });
}

/**
 * Checkr: a background-check report from created to complete, each event signed with
 * X-Checkr-Signature (the hex HMAC-SHA256 of the body); one update is redelivered, as Checkr
 * retries. The relay refetches GET /v1/reports/{id} with the API key as Basic username.
 */
async function checkr(ctx, story) {
  const id = story.caseId;
  const start = Date.now() - 20 * MINUTE;
  // Checkr's timestamps have whole seconds: "2018-08-17T01:12:43Z".
  const at = (minutes) => new Date(start + minutes * MINUTE).toISOString().replace(/\.\d{3}Z$/, "Z");
  const candidateId = hex(12);
  const report = (status, result, minutes, screenings) => ({
    id,
    object: "report",
    uri: `/v1/reports/${id}`,
    status,
    result,
    created_at: at(0),
    completed_at: status === "complete" ? at(minutes) : null,
    package: "driver_pro",
    candidate_id: candidateId,
    ssn_trace: { status: screenings.ssn ?? "pending" },
    motor_vehicle_report: { status: screenings.mvr ?? "pending" },
  });
  const event = (type, minutes, object) => ({ id: hex(12), object: "event", type, created_at: at(minutes), data: { object } });
  const signed = (body) => {
    const raw = JSON.stringify(body);
    return { raw, headers: { "x-checkr-signature": createHmac("sha256", ctx.secrets.checkr.signing_secret).update(raw).digest("hex") } };
  };
  const stages = [
    ["report.created", report("pending", null, 1, {}), 1, 1],
    ["report.updated", report("pending", null, 6, { ssn: "clear" }), 6, 2],
    ["report.suspended", report("suspended", null, 9, { ssn: "clear", mvr: "suspended" }), 9, 1],
    ["report.completed", report("complete", "consider", 15, { ssn: "clear", mvr: "consider" }), 15, 1],
  ];
  for (const [type, state, minutes, copies] of stages) {
    ctx.sandbox.cases.checkr.set(id, state);
    const label = `${type}  ${state.status}${state.result ? ` / ${state.result}` : ""}`;
    await ctx.step(story, { note: label, ...signed(event(type, minutes, state)), copies });
  }
}

/**
 * Persona: an inquiry from created to approved, Persona-Signature "t=<unix>,v1=<hex HMAC of
 * t.body>"; a verification event in the middle is check.updated; the completed event arrives
 * twice. The relay refetches GET /api/v1/inquiries/{id} with the API key as Bearer token.
 */
async function persona(ctx, story) {
  const id = story.caseId;
  const start = Date.now() - 12 * MINUTE;
  const at = (minutes) => new Date(start + minutes * MINUTE).toISOString();
  const verificationId = `ver_${hex(12)}`;
  const verification = (status) => ({
    type: "verification/government-id",
    id: verificationId,
    attributes: { status, "country-code": "US" },
    relationships: { inquiry: { data: { type: "inquiry", id } } },
  });
  const inquiry = (status, minutes, verificationStatus) => ({
    type: "inquiry",
    id,
    attributes: { status, "reference-id": "demo-lee-okafor", "created-at": at(0), "updated-at": at(minutes) },
    relationships: { verifications: { data: verificationStatus ? [{ type: "verification/government-id", id: verificationId }] : [] } },
  });
  const state = (status, minutes, verificationStatus = null) => ({
    data: inquiry(status, minutes, verificationStatus),
    included: verificationStatus ? [verification(verificationStatus)] : [],
  });
  const event = (name, minutes, data) => ({
    data: { type: "event", id: `evt_${hex(12)}`, attributes: { name, "created-at": at(minutes), payload: { data, included: [] } } },
  });
  const signed = (body) => {
    const raw = JSON.stringify(body);
    const t = Math.floor(Date.now() / 1000);
    return { raw, headers: { "persona-signature": `t=${t},v1=${createHmac("sha256", ctx.secrets.persona.secret).update(`${t}.${raw}`).digest("hex")}` } };
  };
  const stages = [
    ["inquiry.created", state("created", 1), 1, (s) => s.data, 1],
    ["inquiry.started", state("pending", 3, "submitted"), 3, (s) => s.data, 1],
    ["verification.passed", state("pending", 5, "passed"), 5, (s) => s.included[0], 1],
    ["inquiry.completed", state("completed", 7, "passed"), 7, (s) => s.data, 2],
    ["inquiry.approved", state("approved", 9, "passed"), 9, (s) => s.data, 1],
  ];
  for (const [name, doc, minutes, subject, copies] of stages) {
    ctx.sandbox.cases.persona.set(id, doc);
    await ctx.step(story, { note: `${name}  ${subject(doc).attributes.status}`, ...signed(event(name, minutes, subject(doc))), copies });
  }
}

/** In the order they run. `final` is what the case's last delivery must say. */
export const STORIES = [
  {
    provider: "karmacheck",
    title: "KarmaCheck background check",
    newCaseId: () => randomUUID(),
    final: { type: "case.completed", status: "completed" },
    run: karmacheck,
  },
  {
    provider: "truework",
    title: "Truework employment verification, order",
    newCaseId: () => `ord_${hex(4)}`,
    final: { type: "case.completed", status: "completed" },
    run: truework,
  },
  {
    provider: "casekeeper",
    title: "Case Keeper KYC verification",
    newCaseId: () => randomUUID(),
    final: { type: "case.completed", status: "completed" },
    run: casekeeper,
  },
  {
    provider: "keldair",
    title: "Keldair ATS applicant",
    newCaseId: () => `app_${hex(3)}`,
    final: { type: "case.updated", status: "in_progress" },
    run: keldair,
  },
  {
    provider: "checkr",
    title: "Checkr background check report",
    newCaseId: () => hex(12),
    final: { type: "case.completed", status: "completed" },
    run: checkr,
  },
  {
    provider: "persona",
    title: "Persona identity inquiry",
    newCaseId: () => `inq_${randomBytes(12).toString("base64url").replace(/[-_]/g, "x")}`,
    final: { type: "case.completed", status: "completed" },
    run: persona,
  },
];
