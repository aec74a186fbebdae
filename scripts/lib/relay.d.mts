// Types for relay.mjs, so TypeScript tests can import it.
export const ROOT: string;
export function devVars(): Record<string, string>;
export function freePort(): Promise<number>;
export function isUp(url: string): Promise<boolean>;
export function waitFor<T>(check: () => T | Promise<T>, opts?: { timeout?: number; interval?: number; what?: string }): Promise<NonNullable<T>>;
type RunOptions = { env?: NodeJS.ProcessEnv; timeout?: number; what?: string };
export function runCommand(command: string, args: string[], opts?: RunOptions): Promise<{ code: number | null; output: string }>;
export function run(command: string, args: string[], opts?: RunOptions): Promise<string>;

export type Relay = {
  url: string;
  port: number;
  /** The local D1, Durable Object and queue state (removed by stop() unless persistTo was given). */
  stateDir: string;
  adminToken: string;
  /** wrangler's output so far, for a failing test's message. */
  logs: string[];
  stop(): Promise<void>;
};

/** The D1 bindings a wrangler config declares (default wrangler.toml; for `env`, that environment's), as wrangler reads it. */
export function d1Bindings(config?: string, env?: string): Promise<string[]>;

export function startRelay(opts?: {
  port?: number;
  persistTo?: string;
  vars?: Record<string, string>;
  quiet?: boolean;
  /** A wrangler config other than wrangler.toml, and more to run beside it. */
  config?: string;
  extraConfigs?: string[];
}): Promise<Relay>;
