/**
 * What the relay spends, counted per isolate: D1 queries (round trips) and rows, Durable Object
 * requests, storage writes and active time, queue messages. Read by `npm run bench` through
 * /bench/metrics (outside production) to price a relayed event. Counting rows and statements wraps
 * every binding and SQL statement, so it runs only where `METRICS = "on"` (local development and
 * the tests): deployed, nothing reads the counters. Invocations (the Worker's requests and queue
 * batches, the objects' calls) are counted either way, an addition each: the bench waits on them
 * to know a run is over.
 */
export type Metrics = {
  workerRequests: number;
  /** Wall time of fetch and queue invocations: an upper bound on the CPU time Workers bill. */
  workerWallMs: number;
  consumerInvocations: number;
  d1Queries: number;
  /** D1 round trips by database binding (`DB`, and the events index's own: src/db/index-shards.ts). */
  d1QueriesBy: Record<string, number>;
  d1RowsRead: number;
  d1RowsWritten: number;
  doRequests: number;
  /** Rows the objects' SQL wrote and read, as the runtime reports them (what Durable Object storage bills). */
  doRowsWritten: number;
  doRowsRead: number;
  /** setAlarm calls (each writes the alarm into the object's storage). */
  doAlarmsSet: number;
  doActiveMs: number;
  queueMessagesSent: number;
  queueRetries: number;
  /** Rows written by statement (its first words: `INSERT INTO events`), D1's and the objects': where the rows go. */
  rowsWrittenBy: Record<string, number>;
  /** SQL statements the objects ran. */
  doStatements: number;
  /** The objects' statements by text (cut at its table's name), each with how often it ran and the rows it read. */
  statementsBy: Record<string, { runs: number; rowsRead: number }>;
};

const zero = (): Metrics => ({
  workerRequests: 0,
  workerWallMs: 0,
  consumerInvocations: 0,
  d1Queries: 0,
  d1QueriesBy: {},
  d1RowsRead: 0,
  d1RowsWritten: 0,
  doRequests: 0,
  doRowsWritten: 0,
  doRowsRead: 0,
  doAlarmsSet: 0,
  doActiveMs: 0,
  queueMessagesSent: 0,
  queueRetries: 0,
  rowsWrittenBy: {},
  doStatements: 0,
  statementsBy: {},
});

let current = zero();

type Counter = Exclude<keyof Metrics, "rowsWrittenBy" | "statementsBy" | "d1QueriesBy">;

export function count(key: Counter, n = 1): void {
  current[key] += n;
}

export function snapshot(): Metrics {
  return {
    ...current,
    d1QueriesBy: { ...current.d1QueriesBy },
    rowsWrittenBy: { ...current.rowsWrittenBy },
    statementsBy: structuredClone(current.statementsBy),
  };
}

const names = new Map<string, { label: string; name: string }>();

/**
 * A statement's names in the breakdowns, once per statement text: `label`, what and where it
 * writes (`d1: INSERT INTO events`, `do: UPDATE receipts`), and `name`, the same with a read's
 * condition (several read receipts).
 */
function statementNames(store: "d1" | "do", sql: string): { label: string; name: string } {
  const key = `${store}:${sql}`;
  const known = names.get(key);
  if (known) return known;
  const flat = sql.replace(/\s+/g, " ").replace(/["`]/g, "").trim();
  const words = flat.split(" ");
  const upper = words.map((w) => w.toUpperCase());
  // Up to the table's name: the word after INTO, FROM, TABLE or UPDATE.
  const at = upper.findIndex((w) => w === "INTO" || w === "FROM" || w === "TABLE" || w === "UPDATE");
  const end = at >= 0 ? at + 2 : 1;
  const label = `${store}: ${[...upper.slice(0, end - 1), words[end - 1] ?? ""].join(" ").trim()}`;
  const where = upper[0] === "SELECT" ? /\bwhere\b(.*)$/is.exec(flat) : null;
  const named = { label, name: where ? `${label} WHERE ${where[1]!.trim().slice(0, 60)}` : label };
  if (names.size < 1_000) names.set(key, named);
  return named;
}

function byStatement(label: () => string, rows: number): void {
  if (!rows) return;
  const name = label();
  current.rowsWrittenBy[name] = (current.rowsWrittenBy[name] ?? 0) + rows;
}

export function resetMetrics(): void {
  current = zero();
}

type Meta = { rows_read?: number; rows_written?: number } | undefined;

/** One D1 round trip to the database bound as `database`. */
function countQuery(database: string): void {
  current.d1Queries++;
  current.d1QueriesBy[database] = (current.d1QueriesBy[database] ?? 0) + 1;
}

function tally(meta: Meta, sql: string): void {
  current.d1RowsRead += meta?.rows_read ?? 0;
  current.d1RowsWritten += meta?.rows_written ?? 0;
  byStatement(() => statementNames("d1", sql).label, meta?.rows_written ?? 0);
}

/** Each counted statement's own statement and SQL text, for batches. */
const underlying = new WeakMap<object, { stmt: D1PreparedStatement; sql: string }>();

/** A statement that counts its round trip and the rows its meta reports. */
function countedStatement(stmt: D1PreparedStatement, sql: string, database: string): D1PreparedStatement {
  const proxy = new Proxy(stmt, {
    get(target, prop) {
      switch (prop) {
        case "bind":
          return (...values: unknown[]) => countedStatement(target.bind(...values), sql, database);
        case "run":
        case "all":
          return async () => {
            countQuery(database);
            const res = await target[prop]();
            tally(res.meta, sql);
            return res;
          };
        case "first":
          // first() hides meta; all() returns the same first row and reports it.
          return async (column?: string) => {
            countQuery(database);
            const res = await target.all<Record<string, unknown>>();
            tally(res.meta, sql);
            const row = res.results[0];
            return row === undefined ? null : column ? (row[column] ?? null) : row;
          };
        case "raw":
          // raw() reports no meta: the query is counted, its rows (reads) are not.
          return (options?: { columnNames?: boolean }) => {
            countQuery(database);
            return options?.columnNames ? target.raw({ columnNames: true }) : target.raw();
          };
        default: {
          const v = Reflect.get(target, prop);
          return typeof v === "function" ? v.bind(target) : v;
        }
      }
    },
  });
  underlying.set(proxy, { stmt, sql });
  return proxy;
}

/** The D1 binding named `database`, with every round trip and row counted; otherwise it behaves as the binding does. */
export function countedD1(db: D1Database, database: string): D1Database {
  return new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => countedStatement(target.prepare(sql), sql, database);
      if (prop === "batch") {
        return async (stmts: D1PreparedStatement[]) => {
          countQuery(database);
          const results = await target.batch(stmts.map((s) => underlying.get(s)?.stmt ?? s));
          for (const [i, r] of results.entries()) tally(r.meta, underlying.get(stmts[i] as object)?.sql ?? "(unknown)");
          return results;
        };
      }
      if (prop === "exec") {
        return (sql: string) => {
          countQuery(database);
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
      if (prop === "send") {
        return (body: T, options?: QueueSendOptions) => {
          count("queueMessagesSent");
          return target.send(body, options);
        };
      }
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

/** Whether this Worker counts what it spends (`METRICS = "on"`). */
export function metering(env: Pick<Env, "METRICS">): boolean {
  return env.METRICS === "on";
}

/** The Worker's env with its D1 and queue bindings counted (one wrapper per env object), or as it is when not metering. */
export function withMetrics(env: Env): Env {
  if (!metering(env)) return env;
  let wrapped = counted.get(env);
  if (!wrapped) {
    const bindings: Partial<Record<keyof Env, unknown>> = { DB: countedD1(env.DB, "DB"), INBOX: countedQueue(env.INBOX) };
    wrapped = new Proxy(env, { get: (target, prop) => (prop in bindings ? bindings[prop as keyof Env] : Reflect.get(target, prop)) });
    counted.set(env, wrapped);
  }
  return wrapped;
}

// biome-ignore lint/suspicious/noExplicitAny: a mixin's base constructor must take any[] (TypeScript's rule).
type ObjectClass = new (...args: any[]) => object;

/** Cursors of an object's SQL since its last tally: their rows are final once a call is over. */
const cursors = new WeakMap<object, { cursor: SqlStorageCursor<Record<string, SqlStorageValue>>; query: string }[]>();

/**
 * Counts the object's SQL statements and alarms by wrapping its storage's `sql.exec` and
 * `setAlarm` in place (the runtime checks that an object is built with its real state).
 */
function meterStorage(ctx: DurableObjectState, owner: object): void {
  const storage = ctx.storage;
  const sql = storage.sql;
  const exec = sql.exec.bind(sql);
  const metered = new Proxy(sql, {
    get(target, prop) {
      if (prop === "exec") {
        return (query: string, ...bindings: unknown[]) => {
          const cursor = exec(query, ...bindings);
          cursors.get(owner)?.push({ cursor, query });
          return cursor;
        };
      }
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  Object.defineProperty(storage, "sql", { value: metered, configurable: true });
  const setAlarm = storage.setAlarm.bind(storage);
  Object.defineProperty(storage, "setAlarm", {
    value: (...args: Parameters<DurableObjectStorage["setAlarm"]>) => {
      count("doAlarmsSet");
      byStatement(() => "do: setAlarm", 1);
      return setAlarm(...args);
    },
    configurable: true,
  });
}

function tallyCursors(owner: object): void {
  const list = cursors.get(owner);
  if (!list) return;
  for (const { cursor, query } of list.splice(0)) {
    // The local runtime's own bookkeeping (the object's name), which the platform does not bill.
    if (query.includes("__miniflare")) continue;
    current.doRowsWritten += cursor.rowsWritten;
    current.doRowsRead += cursor.rowsRead;
    current.doStatements++;
    const { label, name } = statementNames("do", query);
    const by = current.statementsBy[name] ?? { runs: 0, rowsRead: 0 };
    by.runs++;
    by.rowsRead += cursor.rowsRead;
    current.statementsBy[name] = by;
    byStatement(() => label, cursor.rowsWritten);
  }
}

/**
 * A Durable Object class with each entry point counted: one request per call (an RPC method or
 * the alarm), the time the object is busy (overlapping calls counted once), and the rows its SQL
 * writes. The domain class knows nothing of it. When not metering, an instance is the domain
 * class's own: its storage unwrapped, its entry points called directly, each call only counted.
 */
export function meteredObject<C extends ObjectClass>(Base: C, entryPoints: readonly string[]): C {
  const busy = new WeakMap<object, { calls: number; since: number }>();
  const owners = new WeakMap<object, object>();
  const Metered = class extends Base {
    // biome-ignore lint/suspicious/noExplicitAny: a mixin's constructor takes any[] (TypeScript's rule).
    constructor(...args: any[]) {
      const [ctx, env] = args as [DurableObjectState, Env];
      const owner = metering(env) ? {} : null;
      if (owner) {
        cursors.set(owner, []);
        meterStorage(ctx, owner);
      }
      super(ctx, withMetrics(env));
      if (owner) owners.set(this, owner);
    }
  };
  for (const name of entryPoints) {
    const method = Object.getOwnPropertyDescriptor(Base.prototype, name)?.value as ((...a: unknown[]) => Promise<unknown>) | undefined;
    if (typeof method !== "function") throw new Error(`${Base.name} has no method ${name}`);
    Object.defineProperty(Metered.prototype, name, {
      configurable: true,
      writable: true,
      value: async function (this: object, ...args: unknown[]) {
        // Counted either way, an addition: the bench waits on it to know the objects are done.
        count("doRequests");
        const owner = owners.get(this);
        if (!owner) return method.apply(this, args);
        const b = busy.get(this) ?? { calls: 0, since: 0 };
        if (b.calls++ === 0) b.since = Date.now();
        busy.set(this, b);
        try {
          return await method.apply(this, args);
        } finally {
          tallyCursors(owner);
          if (--b.calls === 0) count("doActiveMs", Date.now() - b.since);
        }
      },
    });
  }
  return Metered;
}
