/**
 * EndpointLimiter: one small Durable Object per rate-limited endpoint (named by its id), asked by
 * every case object before an attempt to that endpoint (src/case/sender.ts). Typed RPC methods
 * over the pure state in ./limiter.ts; the limit itself comes with each call, from the caller's
 * cached endpoint record, so the object reads nothing. It keeps nothing in storage either: a row
 * written per grant would cost as much as the attempt's own record (see ./limiter.ts for what a
 * restart forgets).
 */
import { DurableObject } from "cloudflare:workers";
import { LimiterState, type AcquireInput, type Grant, type LimiterSnapshot } from "./limiter";

export class EndpointLimiter extends DurableObject<Env> {
  private readonly state = new LimiterState(() => Date.now());

  /** May the caller make an attempt now? If not, when it should ask again (a slot booked for it). */
  async acquire(input: AcquireInput): Promise<Grant> {
    return this.state.acquire(input);
  }

  /** The attempt of this lease is over (max_in_flight). */
  async release(leaseId: string): Promise<void> {
    this.state.release(leaseId);
  }

  /** What the limiter holds now and its recent grant times (operators' and tests' view). */
  async snapshot(): Promise<LimiterSnapshot> {
    return this.state.snapshot();
  }
}
