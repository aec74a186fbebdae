/**
 * How the sender reaches an endpoint's limiter (./object.ts): only for endpoints with a
 * rate_limit, so an endpoint without one costs no call.
 */
import type { RateLimit } from "../domain";
import type { Grant } from "./limiter";

export type FlowControl = {
  acquire(endpointId: string, limit: RateLimit, reservedAt: number | null): Promise<Grant>;
  release(endpointId: string, leaseId: string): Promise<void>;
};

export const limiterStub = (env: Env, endpointId: string) => env.LIMITERS.get(env.LIMITERS.idFromName(endpointId));

export function limiterClient(env: Env): FlowControl {
  return {
    acquire: (endpointId, limit, reservedAt) => limiterStub(env, endpointId).acquire({ limit, reservedAt }),
    release: (endpointId, leaseId) => limiterStub(env, endpointId).release(leaseId),
  };
}
