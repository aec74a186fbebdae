// List prices the bench turns counts into dollars with (USD). Read on 2026-11-23 from
// developers.cloudflare.com: workers/platform/pricing, queues/platform/pricing,
// d1/platform/pricing, durable-objects/platform/pricing. Workers Paid plan.
export const CLOUDFLARE = {
  date: "2026-11-23",
  plan: { name: "Workers Paid", monthly: 5.0 },
  workers: { perMillionRequests: 0.3, includedRequests: 10e6, perMillionCpuMs: 0.02, includedCpuMs: 30e6 },
  // One operation per 64 KB written, read or deleted: a message costs write + read + delete, a retry one more read.
  queues: { perMillionOps: 0.4, includedOps: 1e6 },
  // One database holds at most 10 GB (d1/platform/limits).
  d1: {
    perMillionRowsWritten: 1.0,
    includedRowsWritten: 50e6,
    perMillionRowsRead: 0.001,
    includedRowsRead: 25e9,
    perGbMonth: 0.75,
    includedGb: 5,
    maxDatabaseGb: 10,
  },
  // An RPC method call is one request; duration is wall time while active, at 128 MB.
  durableObjects: {
    perMillionRequests: 0.15,
    includedRequests: 1e6,
    perMillionGbSeconds: 12.5,
    includedGbSeconds: 400e3,
    memoryGb: 0.128,
    perMillionRowsWritten: 1.0,
    includedRowsWritten: 50e6,
    perMillionRowsRead: 0.001,
    includedRowsRead: 25e9,
    perGbMonth: 0.2,
    includedGb: 5,
  },
};

// Webhook gateways, published plan prices as quoted in issue #8 (2026-11): plan price range per
// month and the price per million events beyond a plan's allowance. Allowances are not modelled:
// the figures below are "plan + every event at the overage rate", an upper bound for each plan.
export const GATEWAYS = {
  date: "2026-11",
  hookdeck: { plans: [39, 499], overagePerMillion: [3.3, 10] },
  svix: { plans: [490], overagePerMillion: [100] },
};
