/**
 * The case object's storage: its schema (src/db/case/schema.ts), migrated before the first write,
 * and the small named queries the object runs. Everything is synchronous SQLite inside the object,
 * so a decision read here cannot change before it is written back.
 *
 * A case that was only ever read never gets tables: an unknown case costs no storage.
 */
import { and, asc, desc, eq, getTableColumns, gt, gte, isNotNull, sql } from "drizzle-orm";
import type { AnySQLiteColumn, SelectedFields } from "drizzle-orm/sqlite-core";
import { drizzle, type DrizzleSqliteDODatabase } from "drizzle-orm/durable-sqlite";
import migrations from "../../migrations/case/migrations.js";
import { caseState, receipts, type Duplicate, type LastForwarded } from "../db/case/schema";
import type { IndexWrite } from "../db/index-writes";
import { TERMINAL, type Delivery } from "../domain";
import { isUnsettled, mayHaveBeenAcknowledged, UNSETTLED_STATUSES } from "./delivery-state";
import { log } from "../lib/log";
import { compareVersions } from "../pipeline/fingerprint";
import type { CaseFacts } from "./decide";

export type ReceiptRow = typeof receipts.$inferSelect;
export type NewReceiptRow = typeof receipts.$inferInsert;
export type CaseStateRow = typeof caseState.$inferSelect;

/** The last duplicates kept on a receipt for the trail (all are counted). */
const DUPLICATES_KEPT = 10;

/**
 * A row with a delivery not settled for good, or marked in flight, found in the deliveries' JSON
 * text as JSON.stringify writes it (no spaces; a quote inside a string value is escaped, so these
 * only match keys of the deliveries themselves): no JSON is parsed for the rows it skips, which
 * are most of a case's. The rows it finds are a superset; the code filters each delivery.
 */
const UNSETTLED = sql.raw(
  `(${UNSETTLED_STATUSES.map((s) => `instr(deliveries, '"status":"${s}"') > 0`).join(" OR ")} OR instr(deliveries, '"in_flight_since":"') > 0)`,
);

/** What UNSETTLED finds, in code, per delivery. */
const unsettledOrInFlight = (r: DeliveryRef) => isUnsettled(r.delivery) || r.delivery.in_flight_since !== null;

/** A delivery with the event it carries. */
export type DeliveryRef = { n: number; sequence: number; eventId: string; delivery: Delivery };

/** What one read of the decided receipts gives (CaseStore.decided); `latestRow` holds the last forwarded event, if any row does. */
type Decided = { facts: CaseFacts; terminal: boolean; latestRow: number | null };

const ph = sql.placeholder;

/** The columns a receipt is inserted with: all but `n`. */
const { n: _n, ...INSERTED } = getTableColumns(receipts);

/**
 * The queries a case runs for every event, prepared once per object instance: drizzle builds a
 * query's SQL anew each time it runs one (about 0.1 to 0.2 ms of CPU for these, measured), and a
 * prepared one only fills in its parameters. Queries run rarely (retention, state changes) are
 * built where they run.
 */
function prepareQueries(db: DrizzleSqliteDODatabase) {
  const deliveriesOf = { n: receipts.n, sequence: receipts.sequence, eventId: receipts.eventId, deliveries: receipts.deliveries };
  const eventRows = (where: ReturnType<typeof sql>) =>
    db
      .select(deliveriesOf)
      .from(receipts)
      .where(and(isNotNull(receipts.sequence), where))
      .orderBy(asc(receipts.sequence))
      .prepare();
  /** One receipt's `fields` by the value of one of its columns, the placeholder `name`. */
  const rowBy = <F extends SelectedFields>(fields: F, column: AnySQLiteColumn, name: string) =>
    db
      .select(fields)
      .from(receipts)
      .where(eq(column, ph(name)))
      .prepare();
  const wholeRow = getTableColumns(receipts);
  const toEndpoint = sql`json_extract(d.value, '$.endpoint_id') = ${ph("endpointId")}`;
  return {
    /**
     * Every column but `n` a placeholder of its own name, taking the value as the driver stores it
     * (see insertValues: drizzle would encode a null JSON value as the text "null"; the defaults
     * come from the schema).
     */
    insertReceipt: db
      .insert(receipts)
      .values(Object.fromEntries(Object.keys(INSERTED).map((k) => [k, sql`${ph(k)}`])) as unknown as NewReceiptRow)
      .returning({ n: receipts.n })
      .prepare(),
    receiptById: rowBy(wholeRow, receipts.id, "id"),
    receiptByEventId: rowBy(wholeRow, receipts.eventId, "eventId"),
    envelopeAt: rowBy({ envelope: receipts.envelope }, receipts.n, "n"),
    dedupeHolder: db
      .select({ n: receipts.n, id: receipts.id, duplicates: receipts.duplicates })
      .from(receipts)
      .where(
        and(
          eq(receipts.dedupeKey, ph("dedupeKey")),
          eq(receipts.kind, "webhook"),
          gte(receipts.receivedAt, ph("since")),
          sql`(${receipts.outcome} <> 'pending' OR ${receipts.tries} > 0)`,
        ),
      )
      .orderBy(desc(receipts.n))
      .limit(1)
      .prepare(),
    countDuplicate: db
      .update(receipts)
      // A placeholder in set() is SQL to drizzle: the caller passes the JSON text.
      .set({ duplicateCount: sql`${receipts.duplicateCount} + 1`, duplicates: sql`${ph("duplicates")}` })
      .where(eq(receipts.n, ph("n")))
      .prepare(),
    allReceipts: db.select().from(receipts).orderBy(asc(receipts.n)).prepare(),
    state: db.select().from(caseState).where(eq(caseState.id, 1)).prepare(),
    /** What the facts and whether the case is closed are made of (CaseStore.decided). */
    decided: db
      .select({
        n: receipts.n,
        subject: receipts.subject,
        version: receipts.version,
        outcome: receipts.outcome,
        sequence: receipts.sequence,
        status: receipts.status,
        closesCase: receipts.closesCase,
        fingerprint: receipts.fingerprint,
        type: receipts.type,
      })
      .from(receipts)
      .where(sql`${receipts.version} IS NOT NULL OR ${receipts.sequence} IS NOT NULL OR ${receipts.closesCase} = 1`)
      .prepare(),
    lastActivityAt: db
      .select({ at: sql<number | null>`MAX(${receipts.receivedAt})` })
      .from(receipts)
      .where(sql`${receipts.outcome} <> 'pending'`)
      .prepare(),
    unsettled: eventRows(UNSETTLED),
    // A superset again: the row has an unsettled delivery and a delivery to the endpoint, perhaps not the same one.
    unsettledTo: eventRows(sql`${UNSETTLED} AND instr(${receipts.deliveries}, '"endpoint_id":' || json_quote(${ph("endpointId")})) > 0`),
    deliveriesTo: eventRows(sql`EXISTS (SELECT 1 FROM json_each(${receipts.deliveries}) d WHERE ${toEndpoint})`),
    allDeliveries: eventRows(sql`1 = 1`),
    /**
     * Whether the endpoint acknowledged, or may have (mayHaveBeenAcknowledged, in SQL), an event
     * after the sequence `after`: only rows after it are read, so only their deliveries parsed.
     */
    acknowledgedAfter: db
      .select({ found: sql<number>`1` })
      .from(sql`${receipts}, json_each(${receipts.deliveries}) d`)
      .where(
        and(
          gt(receipts.sequence, ph("after")),
          toEndpoint,
          sql`(json_extract(d.value, '$.status') = 'succeeded' OR json_extract(d.value, '$.maybe_delivered') = 1)`,
        ),
      )
      .limit(1)
      .prepare(),
    storedDeliveries: rowBy({ deliveries: receipts.deliveries }, receipts.n, "n"),
    /** `deliveries`: the JSON text (see countDuplicate). */
    putDeliveries: db
      .update(receipts)
      .set({ deliveries: sql`${ph("deliveries")}` })
      .where(eq(receipts.n, ph("n")))
      .prepare(),
    nextRetention: db
      .select({
        body: sql<
          number | null
        >`MIN(CASE WHEN ${receipts.body} IS NOT NULL AND ${receipts.outcome} NOT IN ('failed', 'pending') THEN ${receipts.receivedAt} END)`,
        undecided: sql<number | null>`MIN(CASE WHEN ${receipts.outcome} IN ('stale', 'unchanged') THEN ${receipts.receivedAt} END)`,
        any: sql<number | null>`MIN(${receipts.receivedAt})`,
      })
      .from(receipts)
      .prepare(),
  };
}

/**
 * A new row's values as the driver stores them, each column encoded as drizzle would (null stays
 * null), where the row says nothing the schema's default, else null.
 */
function insertValues(row: NewReceiptRow): Record<string, unknown> {
  const given = row as Record<string, unknown>;
  return Object.fromEntries(
    Object.entries(INSERTED).map(([k, column]) => {
      const v = given[k] !== undefined ? given[k] : column.hasDefault ? column.default : null;
      if (v === null && column.notNull) throw new Error(`a new receipt needs ${k}`);
      return [k, v === null ? null : column.mapToDriverValue(v)];
    }),
  );
}

export class CaseStore {
  private readonly db: DrizzleSqliteDODatabase;
  private ready: boolean;
  /**
   * Delivery states the sender recorded but has not written yet, by receipt row, then delivery id:
   * every read sees them, and a row's are written together, in one row write (./sender.ts says
   * when that must happen).
   */
  private readonly unwritten = new Map<number, Map<string, Delivery>>();
  /**
   * What decisions read many times per receipt (the state row, the facts, whether the case is
   * closed), kept until this store writes anything or a transaction ends: every write to the
   * receipts or the state row goes through this class.
   */
  private memo: { state?: CaseStateRow | null; decided?: Decided } = {};
  private prepared?: ReturnType<typeof prepareQueries>;

  private get q(): ReturnType<typeof prepareQueries> {
    this.prepared ??= prepareQueries(this.db);
    return this.prepared;
  }

  constructor(private readonly storage: DurableObjectStorage) {
    // Without `schema`: no relational queries here, and no relational config built per instance.
    this.db = drizzle(storage);
    this.ready = storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'receipts'").toArray().length > 0;
  }

  /**
   * Applies the migrations drizzle-kit generated (migrations/case/) that this database has not had,
   * in one transaction, and records how many it has had in case_state. (drizzle's own migrator
   * keeps a table of its own for that: five more rows written and two more pages for every case.)
   */
  private migrate(): void {
    const entries = [...migrations.journal.entries].sort((a, b) => a.idx - b.idx);
    this.transaction(() => {
      const hasState = this.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'case_state'").toArray().length > 0;
      const applied = hasState ? Number(this.storage.sql.exec("SELECT schema_version FROM case_state WHERE id = 1").toArray()[0]?.schema_version ?? 0) : 0;
      if (applied >= entries.length) return;
      for (const entry of entries.slice(applied)) {
        const text = migrations.migrations[`m${String(entry.idx).padStart(4, "0")}`];
        if (text === undefined) throw new Error(`case migration ${entry.tag} is missing`);
        for (const statement of text.split("--> statement-breakpoint")) if (statement.trim()) this.storage.sql.exec(statement);
      }
      this.storage.sql.exec(
        "INSERT INTO case_state (id, schema_version) VALUES (1, ?1) ON CONFLICT (id) DO UPDATE SET schema_version = excluded.schema_version",
        entries.length,
      );
    });
  }

  /** Brings a stored case up to date, once per object instance (a case stored before a deploy gets the new migrations). */
  migrateIfStored(): void {
    if (this.ready) this.migrate();
  }

  /** Before the first write of a new case. */
  ensure(): void {
    if (this.ready) return;
    this.migrate();
    this.ready = true;
  }

  get exists(): boolean {
    return this.ready;
  }

  transaction<T>(fn: () => T): T {
    try {
      return this.storage.transactionSync(fn);
    } finally {
      // Committed or rolled back, what was read inside may no longer hold.
      this.memo = {};
    }
  }

  /** Every write: what was read before may no longer hold. */
  private wrote(): void {
    this.memo = {};
  }

  // ---- receipts ------------------------------------------------------------------------------

  receiptById(id: string): ReceiptRow | undefined {
    if (!this.ready) return undefined;
    return this.withUnwritten(this.q.receiptById.get({ id }));
  }

  /** The envelope of the event in row `n`, without the rest of its row (the body may be large). */
  envelopeAt(n: number): ReceiptRow["envelope"] | undefined {
    if (!this.ready) return undefined;
    return this.q.envelopeAt.get({ n })?.envelope ?? undefined;
  }

  receiptByEventId(eventId: string): ReceiptRow | undefined {
    if (!this.ready) return undefined;
    return this.withUnwritten(this.q.receiptByEventId.get({ eventId }));
  }

  /**
   * The receipt holding this dedupe key, received at or after `since` (the dedupe window). A body
   * stashed at ingest whose message never arrived holds nothing: its webhook may have been refused.
   */
  dedupeHolder(dedupeKey: string, since: number): { n: number; id: string; duplicates: Duplicate[] } | undefined {
    if (!this.ready) return undefined;
    return this.q.dedupeHolder.get({ dedupeKey, since });
  }

  countDuplicate(n: number, duplicates: Duplicate[], dup: Duplicate): void {
    const kept = [...duplicates, dup].slice(-DUPLICATES_KEPT);
    this.wrote();
    this.q.countDuplicate.run({ n, duplicates: JSON.stringify(kept) });
  }

  insertReceipt(row: NewReceiptRow): number {
    this.wrote();
    const inserted = this.q.insertReceipt.get(insertValues(row));
    return inserted!.n;
  }

  updateReceipt(n: number, fields: Partial<NewReceiptRow>): void {
    if (fields.deliveries) this.unwritten.delete(n);
    this.wrote();
    this.db.update(receipts).set(fields).where(eq(receipts.n, n)).run();
  }

  /** Every receipt, oldest first (the case's trail). */
  allReceipts(): ReceiptRow[] {
    if (!this.ready) return [];
    return this.q.allReceipts.all().map((r) => this.withUnwritten(r));
  }

  // ---- what decisions depend on --------------------------------------------------------------

  state(): CaseStateRow | undefined {
    if (!this.ready) return undefined;
    if (this.memo.state === undefined) this.memo.state = this.q.state.get() ?? null;
    return this.memo.state ?? undefined;
  }

  /** What the next decision depends on (read-only: shared until the next write). */
  facts(): CaseFacts {
    return this.decided().facts;
  }

  /** Whether the case is closed: its last forwarded status is terminal, or the provider said it is gone since. */
  terminal(): boolean {
    return this.decided().terminal;
  }

  /**
   * The facts and whether the case is closed, in one read of the decided receipts (their small
   * columns, never an envelope or a body), on top of what retention folded into case_state.
   */
  private decided(): Decided {
    if (!this.memo.decided) {
      const d = this.readDecided();
      Object.freeze(d.facts.versions);
      if (d.facts.lastForwarded) Object.freeze(d.facts.lastForwarded);
      Object.freeze(d.facts);
      this.memo.decided = d;
    }
    return this.memo.decided;
  }

  private readDecided(): Decided {
    const floor = this.state();
    const versions: Record<string, string> = { ...(floor?.versionFloor ?? {}) };
    let lastSequence = floor?.sequenceFloor ?? 0;
    let lastForwarded: CaseFacts["lastForwarded"] = floor?.lastForwarded ?? null;
    let latestRow: number | null = null;
    let terminal = floor?.terminalFloor ?? false;
    if (this.ready) {
      let decisive: { n: number; closes: boolean } | null = null;
      for (const r of this.q.decided.all()) {
        // Versions of decided receipts: a stale one is older by definition, a pending or failed one was never decided.
        const decided = r.outcome === "forwarded" || r.outcome === "unchanged" || r.closesCase;
        if (decided && r.version !== null) {
          const prev = versions[r.subject];
          if (prev === undefined || compareVersions(r.version, prev) > 0) versions[r.subject] = r.version;
        }
        if (r.sequence !== null && r.sequence > lastSequence) {
          lastSequence = r.sequence;
          lastForwarded = { sequence: r.sequence, fingerprint: r.fingerprint ?? "", type: r.type!, status: r.status! };
          latestRow = r.n;
        }
        // The last receipt that forwarded an event or closed the case says whether it is closed.
        if ((r.sequence !== null || r.closesCase) && (decisive === null || r.n > decisive.n)) {
          decisive = { n: r.n, closes: r.closesCase || (r.status !== null && TERMINAL.has(r.status)) };
        }
      }
      if (decisive) terminal = decisive.closes;
    }
    return { facts: { versions, lastSequence, lastForwarded }, terminal, latestRow };
  }

  /** The last forwarded event as case_state keeps it once its row is deleted: with its check, from its envelope. */
  private lastForwardedToKeep(): LastForwarded | null {
    const { facts, latestRow } = this.decided();
    if (!facts.lastForwarded) return null;
    if (latestRow === null) return this.state()?.lastForwarded ?? null;
    return { ...facts.lastForwarded, check: this.envelopeAt(latestRow)?.data.check ?? null };
  }

  /** Last receipt processed or reconcile run: the reconcile clock starts here. */
  lastActivityAt(): number | null {
    if (!this.ready) return null;
    return this.q.lastActivityAt.get()?.at ?? null;
  }

  // ---- deliveries ----------------------------------------------------------------------------

  /** Deliveries of the events a prepared query found (it says which rows are read: SQL on the JSON), in sequence order. */
  private deliveriesOf(rows: { n: number; sequence: number | null; eventId: string | null; deliveries: Delivery[] }[]): DeliveryRef[] {
    return rows.flatMap((r) => this.merged(r.n, r.deliveries).map((delivery) => ({ n: r.n, sequence: r.sequence!, eventId: r.eventId!, delivery })));
  }

  /** Deliveries not settled for good (open, held, failed) or marked in flight. */
  unsettledDeliveries(): DeliveryRef[] {
    // An unwritten state only ever settles a delivery the row still has open: the SQL finds a superset.
    if (!this.ready) return [];
    return this.deliveriesOf(this.q.unsettled.all()).filter(unsettledOrInFlight);
  }

  /**
   * What the sender needs of one endpoint, without reading the deliveries it settled: those not
   * settled for good or marked in flight, in sequence order, and whether it acknowledged (or may
   * have) an event after a given sequence, read only when asked (in SQL over the stored rows after
   * that sequence: an acknowledgement is never taken back, and one not written yet is among the
   * unsettled rows read).
   */
  backlogOf(endpointId: string): { unsettled: DeliveryRef[]; acknowledgedAfter: (sequence: number) => boolean } {
    if (!this.ready) return { unsettled: [], acknowledgedAfter: () => false };
    // The rows read, with their unwritten states: one may have just been acknowledged.
    const read = this.deliveriesOf(this.q.unsettledTo.all({ endpointId })).filter((r) => r.delivery.endpoint_id === endpointId);
    const unsettled = read.filter(unsettledOrInFlight);
    const acknowledgedAfter = (sequence: number) =>
      read.some((r) => r.sequence > sequence && mayHaveBeenAcknowledged(r.delivery)) ||
      this.q.acknowledgedAfter.get({ endpointId, after: sequence }) !== undefined;
    return { unsettled, acknowledgedAfter };
  }

  /** Deliveries to one endpoint, of every event. */
  deliveriesTo(endpointId: string): DeliveryRef[] {
    if (!this.ready) return [];
    return this.deliveriesOf(this.q.deliveriesTo.all({ endpointId })).filter((r) => r.delivery.endpoint_id === endpointId);
  }

  /** One delivery of one event's row, as it stands (unwritten state included). */
  deliveryAt(n: number, deliveryId: string): Delivery | undefined {
    if (!this.ready) return undefined;
    const stored = this.storedDeliveries(n);
    return stored ? this.merged(n, stored).find((d) => d.id === deliveryId) : undefined;
  }

  allDeliveries(): DeliveryRef[] {
    if (!this.ready) return [];
    return this.deliveriesOf(this.q.allDeliveries.all());
  }

  /**
   * Replaces or adds one delivery of an event, now: one row written, with the row's unwritten
   * states. Those stay unwritten in memory until `writeDeliveries` (rewriting them is harmless), so
   * an enclosing transaction that rolls back loses nothing but this change.
   */
  putDelivery(n: number, delivery: Delivery): void {
    const stored = this.storedDeliveries(n);
    if (!stored) throw new Error(`no receipt row ${n}`);
    this.q.putDeliveries.run({ n, deliveries: JSON.stringify(this.merged(n, stored, delivery)) });
    this.unwritten.get(n)?.delete(delivery.id);
  }

  /** Replaces one delivery of an event, written with its row's next write (see `writeDeliveries`). */
  recordDelivery(n: number, delivery: Delivery): void {
    const row = this.unwritten.get(n) ?? new Map<string, Delivery>();
    row.set(delivery.id, delivery);
    this.unwritten.set(n, row);
  }

  /**
   * Writes the rows holding unwritten states (all of them, or those with a delivery to
   * `endpointId`) in one transaction, and forgets them once it is committed. Not to be called
   * inside another transaction: a rollback there would lose them.
   */
  writeDeliveries(endpointId?: string): void {
    const rows = [...this.unwritten].filter(([, row]) => row.size && (endpointId === undefined || [...row.values()].some((d) => d.endpoint_id === endpointId)));
    if (!rows.length) return;
    const written = this.transaction(() =>
      rows.map(([n, unwritten]) => {
        const stored = this.storedDeliveries(n);
        // Retention keeps every row with an open delivery, so this is not expected; never block later sends on it.
        if (!stored) log("error", "unwritten delivery states of a receipt row that is gone", { n, deliveries: unwritten.size });
        else this.q.putDeliveries.run({ n, deliveries: JSON.stringify(this.merged(n, stored)) });
        return [n, new Map(unwritten)] as const;
      }),
    );
    for (const [n, states] of written) {
      const row = this.unwritten.get(n);
      if (!row) continue;
      // Only what was written: nothing is recorded meanwhile (this is synchronous), but say so in code.
      for (const [id, d] of states) if (row.get(id) === d) row.delete(id);
      if (!row.size) this.unwritten.delete(n);
    }
  }

  /** A row's deliveries as stored, or undefined if the row is gone. */
  private storedDeliveries(n: number): Delivery[] | undefined {
    return this.q.storedDeliveries.get({ n })?.deliveries;
  }

  /** A row's deliveries as stored, with its unwritten states (and `latest`, last) in place: one replaced, a new one added. */
  private merged(n: number, stored: Delivery[], latest?: Delivery): Delivery[] {
    const unwritten = this.unwritten.get(n);
    const states = latest ? new Map([...(unwritten ?? []), [latest.id, latest]]) : unwritten;
    if (!states?.size) return stored;
    const out = stored.map((d) => states.get(d.id) ?? d);
    for (const d of states.values()) if (!stored.some((s) => s.id === d.id)) out.push(d);
    return out;
  }

  private withUnwritten<T extends ReceiptRow | undefined>(row: T): T {
    return row && this.unwritten.has(row.n) ? { ...row, deliveries: this.merged(row.n, row.deliveries) } : row;
  }

  // ---- the outbox: index writes made outside a consumer's batch -------------------------------

  /** The state row exists from the first migration on. */
  private upsertState(fields: Partial<typeof caseState.$inferInsert>): void {
    this.wrote();
    this.db.update(caseState).set(fields).where(eq(caseState.id, 1)).run();
  }

  outbox(): { writes: IndexWrite[]; failures: number } {
    const s = this.state();
    return { writes: s?.outbox ?? [], failures: s?.outboxFailures ?? 0 };
  }

  addToOutbox(writes: readonly IndexWrite[]): void {
    if (!writes.length) return;
    this.upsertState({ outbox: [...this.outbox().writes, ...writes] });
  }

  /** Drops the writes D1 now has (the first `count`: later ones may have been added meanwhile). */
  outboxFlushed(count: number): void {
    this.upsertState({ outbox: this.outbox().writes.slice(count), outboxFailures: 0 });
  }

  outboxFailed(): number {
    const failures = this.outbox().failures + 1;
    this.upsertState({ outboxFailures: failures });
    return failures;
  }

  // ---- retention -----------------------------------------------------------------------------

  /** When the next retention deadline of any row falls. */
  nextRetention(windows: { bodyMs: number; dedupeMs: number; eventMs: number }): number | null {
    if (!this.ready) return null;
    const row = this.q.nextRetention.get();
    const candidates = [
      row?.body != null ? row.body + windows.bodyMs : null,
      row?.undecided != null ? row.undecided + windows.dedupeMs : null,
      row?.any != null ? row.any + windows.eventMs : null,
    ].filter((x): x is number => x !== null);
    return candidates.length ? Math.min(...candidates) : null;
  }

  /**
   * Deletes what retention allows, folding what the case must not forget into case_state first:
   * the highest sequence, newest versions, the last forwarded event and whether the case is closed.
   * One transaction. Returns the receipts deleted.
   */
  prune(now: number, windows: { bodyMs: number; dedupeMs: number; eventMs: number }, keep: (row: ReceiptRow) => boolean = () => false): ReceiptRow[] {
    if (!this.ready) return [];
    this.writeDeliveries();
    return this.transaction(() => {
      const facts = this.facts();
      const terminal = this.terminal();
      const all = this.allReceipts();
      // Past the event retention everything goes (unless `keep` says a delivery must settle first);
      // a stale or unchanged receipt, which is only a dedupe key, goes after the dedupe window.
      const expired = (r: ReceiptRow) =>
        r.receivedAt < now - windows.eventMs || ((r.outcome === "stale" || r.outcome === "unchanged") && r.receivedAt < now - windows.dedupeMs);
      const doomed = all.filter((r) => expired(r) && !keep(r));
      if (doomed.length) {
        this.upsertState({
          sequenceFloor: facts.lastSequence,
          versionFloor: facts.versions,
          lastForwarded: this.lastForwardedToKeep(),
          terminalFloor: terminal,
        });
        this.wrote();
        for (const r of doomed) this.db.delete(receipts).where(eq(receipts.n, r.n)).run();
      }
      this.db
        .update(receipts)
        .set({ body: null })
        // Failed and pending receipts keep their body: an operator may replay them.
        .where(and(isNotNull(receipts.body), sql`${receipts.receivedAt} < ${now - windows.bodyMs}`, sql`${receipts.outcome} NOT IN ('failed', 'pending')`))
        .run();
      return doomed;
    });
  }
}
