/**
 * What the relay spends, counted per isolate: D1 queries (round trips) and rows, Durable Object
 * requests, storage writes and active time, queue messages. Cheap to keep, read by `npm run bench`
 * through /bench/metrics (outside production) to price a relayed event.
 */
export type Metrics = {
  workerRequests: number;
  /** Wall time of fetch and queue invocations: an upper bound on the CPU time Workers bill. */
  workerWallMs: number;
  consumerInvocations: number;
  d1Queries: number;
  d1RowsRead: number;
  d1RowsWritten: number;
  doRequests: number;
  doStorageWrites: number;
  doActiveMs: number;
  queueMessagesSent: number;
  queueRetries: number;
};

const zero = (): Metrics => ({
  workerRequests: 0,
  workerWallMs: 0,
  consumerInvocations: 0,
  d1Queries: 0,
  d1RowsRead: 0,
  d1RowsWritten: 0,
  doRequests: 0,
  doStorageWrites: 0,
  doActiveMs: 0,
  queueMessagesSent: 0,
  queueRetries: 0,
});

let current = zero();

export function count(key: keyof Metrics, n = 1): void {
  current[key] += n;
}

export function snapshot(): Metrics {
  return { ...current };
}

export function resetMetrics(): void {
  current = zero();
}

type Meta = { rows_read?: number; rows_written?: number } | undefined;

function tally(meta: Meta): void {
  current.d1RowsRead += meta?.rows_read ?? 0;
  current.d1RowsWritten += meta?.rows_written ?? 0;
}

const underlying = new WeakMap<object, D1PreparedStatement>();

/** A statement that counts its round trip and the rows its meta reports. */
function countedStatement(stmt: D1PreparedStatement): D1PreparedStatement {
  const proxy = new Proxy(stmt, {
    get(target, prop) {
      switch (prop) {
        case "bind":
          return (...values: unknown[]) => countedStatement(target.bind(...values));
        case "run":
        case "all":
          return async () => {
            count("d1Queries");
            const res = await target[prop]();
            tally(res.meta);
            return res;
          };
        case "first":
          // first() hides meta; all() returns the same first row and reports it.
          return async (column?: string) => {
            count("d1Queries");
            const res = await target.all<Record<string, unknown>>();
            tally(res.meta);
            const row = res.results[0];
            return row === undefined ? null : column ? (row[column] ?? null) : row;
          };
        case "raw":
          // raw() reports no meta: the query is counted, its rows (reads) are not.
          return (options?: { columnNames?: boolean }) => {
            count("d1Queries");
            return options?.columnNames ? target.raw({ columnNames: true }) : target.raw();
          };
        default: {
          const v = Reflect.get(target, prop);
          return typeof v === "function" ? v.bind(target) : v;
        }
      }
    },
  });
  underlying.set(proxy, stmt);
  return proxy;
}

/** The D1 binding with every round trip and row counted; otherwise it behaves as the binding does. */
export function countedD1(db: D1Database): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => countedStatement(target.prepare(sql));
      if (prop === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          count("d1Queries");
          const results = await target.batch(stmts.map((s) => underlying.get(s) ?? s));
          for (const r of results) tally(r.meta);
          return results;
        };
      }
      if (prop === "exec") {
        return (sql: string) => {
          count("d1Queries");
          return target.exec(sql);
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

const counted = new WeakMap<object, Env>();

/** A queue binding that counts the messages sent to it. */
function countedQueue<T>(queue: Queue<T>): Queue<T> {
  return new Proxy(queue, {
    get(target, prop) {
      if (prop === "send") return (body: T, options?: QueueSendOptions) => (count("queueMessagesSent"), target.send(body, options));
      if (prop === "sendBatch") {
        return (messages: Iterable<MessageSendRequest<T>>, options?: QueueSendBatchOptions) => {
          const list = [...messages];
          count("queueMessagesSent", list.length);
          return target.sendBatch(list, options);
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

/** The Worker's env with its D1 and queue bindings counted (one wrapper per env object). */
export function withMetrics(env: Env): Env {
  let wrapped = counted.get(env);
  if (!wrapped) {
    const bindings: Partial<Record<keyof Env, unknown>> = { DB: countedD1(env.DB), INBOX: countedQueue(env.INBOX), DELIVERY: countedQueue(env.DELIVERY) };
    wrapped = new Proxy(env, { get: (target, prop) => (prop in bindings ? bindings[prop as keyof Env] : Reflect.get(target, prop)) });
    counted.set(env, wrapped);
  }
  return wrapped;
}
