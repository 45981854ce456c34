import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import type { AttemptCompletion, DeliveryLease, EnqueueItem, RateLimitedClaim } from '../../../domain/stores';
import type { ClaimedDelivery } from '../../../domain/types';
import { statsRowsOf, type StatsRow } from '../../attempt-stats';
import { bodyTransformer } from '../columns';
import { attemptToRow, deliveryFromRow, deliveryRows } from '../typeorm-rows';
import { notificationChannel } from '../typeorm-signals';
import { quotedTable } from '../typeorm.utils';
import { WebhookAttemptStatsEntity } from '../webhook-attempt-stats.entity';
import { WebhookDeliveryAttemptEntity } from '../webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { WebhookEventEntity } from '../webhook-event.entity';
import { WebhookLaneEntity } from '../webhook-lane.entity';
import { dueQuery } from './claim-query';
import { laneId, numberLanes } from './lane-sequences';
import type { ClaimRequest, QueryExecutor, QueueDialect } from './queue-dialect';
import { claimRateLimited } from './rate-limited-claim';

/**
 * PostgreSQL: the three writes on the hot path of every delivery (enqueue, claim, completion) are each ONE
 * statement, over `unnest`ed arrays where they write many rows: one round trip and one commit per batch, with
 * no BEGIN/COMMIT round trips and no per-row parameters. A statement is atomic on its own, so each keeps the
 * all-or-nothing of a transaction. Measured on a 2-vCPU machine: the socket writes of each round trip cost the
 * Node process more CPU than building the SQL, so round trips per delivery are what to save.
 */
export class PostgresQueueDialect implements QueueDialect {
  readonly name = 'postgres';
  private built: Statements | undefined;
  private channel: string | undefined;

  constructor(readonly dataSource: DataSource) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }

  enqueue(items: readonly EnqueueItem[]): Promise<boolean[]> {
    // Laned deliveries take their lanes' numbers in the enqueue's transaction: then it needs one.
    if (items.some((i) => i.deliveries.some((d) => d.lane != null))) return this.dataSource.transaction((manager) => this.enqueueWith(manager, items));
    return this.enqueueWith(this.dataSource, items);
  }

  enqueueIn(manager: EntityManager, items: readonly EnqueueItem[]): Promise<boolean[]> {
    return this.enqueueWith(manager, items);
  }

  /** `NOTIFY` through `pg_notify`, on `db`: sent when its transaction commits (at once for a statement of its own). */
  async notify(db: QueryExecutor, signal: string): Promise<void> {
    await db.query('SELECT pg_notify($1, $2)', [(this.channel ??= notificationChannel(this.dataSource)), signal]);
  }

  /**
   * One statement (its own transaction): pick due rows with `FOR UPDATE SKIP LOCKED`, lease them, and return
   * them joined with their events. The multi-statement transaction it replaces took six round trips, and claims
   * sit on the hot path of every delivery.
   */
  async claim(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    const ds = this.dataSource;
    const { at } = this.statements();
    // PostgreSQL computes the array of the fair pick once.
    const pick = dueQuery(ds.manager, 'due', request, (idColumn, chosenSql) => `${idColumn} = ANY(ARRAY(${chosenSql}))`);
    const [pickSql, pickParams] = pick.setLock('pessimistic_write').setOnLocked('skip_locked').getQueryAndParameters();
    const n = pickParams.length;
    const table = (entity: EntityTarget<ObjectLiteral>) => quotedTable(ds, entity);
    const rows: Array<Record<string, unknown>> = await ds.query(
      `WITH picked AS (${pickSql}), ` +
        `leased AS (UPDATE ${table(WebhookDeliveryEntity)} AS d SET locked_until = $${n + 1}, locked_by = $${n + 2}, updated_at = $${n + 3} ` +
        `FROM picked WHERE d.delivery_id = picked.delivery_id RETURNING d.*) ` +
        `SELECT leased.*, e.body AS e_body, e.occurred_at AS e_occurred_at, e.source AS e_source, e.created_at AS e_created_at, e.traceparent AS e_traceparent ` +
        `FROM leased JOIN ${table(WebhookEventEntity)} AS e ON e.event_id = leased.event_id ORDER BY leased.next_attempt_at, leased.delivery_id`,
      [...pickParams, at(request.lease.locked_until), request.lease.locked_by, at(request.lease.updated_at)],
    );
    return rows.map((r) => ({
      delivery: deliveryFromRow(r as unknown as WebhookDeliveryEntity),
      event: {
        event_id: r.event_id as string,
        event_type: r.event_type as string,
        body: bodyTransformer.from(r.e_body) as string,
        occurred_at: r.e_occurred_at as Date,
        source: (r.e_source as string | null) ?? null,
        created_at: r.e_created_at as Date,
        traceparent: (r.e_traceparent as string | null) ?? null,
      },
    }));
  }

  /** See `claimRateLimited` (rate-limited-claim.ts): buckets and rows locked with `FOR UPDATE SKIP LOCKED`. */
  claimRateLimited(request: ClaimRequest): Promise<RateLimitedClaim> {
    return claimRateLimited(this.dataSource, request, (fn) => this.dataSource.transaction('READ COMMITTED', fn), true);
  }

  /** One statement: `UPDATE ... RETURNING` the ids it leased. */
  async leaseByIds(deliveryIds: readonly string[], lease: DeliveryLease, now: Date): Promise<string[]> {
    if (deliveryIds.length === 0) return [];
    const { leaseByIds, at } = this.statements();
    const rows: Array<{ delivery_id: string }> = await this.dataSource.query(leaseByIds, [[...deliveryIds], lease.worker_id, at(lease.until), at(now)]);
    return rows.map((r) => r.delivery_id);
  }

  /**
   * One statement: logs the attempts, adds them to the stats rows, and moves on each delivery whose worker still
   * holds the lease.
   */
  async complete(items: readonly AttemptCompletion[]): Promise<boolean[]> {
    const { complete, at } = this.statements();
    const attempts = items.map((c) => attemptToRow(c.attempt));
    const stats = statsRowsOf(items.map((c) => c.attempt));
    const rows: Array<{ delivery_id: string }> = await this.dataSource.query(complete, [
      attempts.map((a) => a.attempt_id),
      attempts.map((a) => a.subscription_id),
      attempts.map((a) => a.event_id),
      attempts.map((a) => a.event_type),
      attempts.map((a) => a.status),
      attempts.map((a) => a.status_code),
      attempts.map((a) => a.attempt_number),
      attempts.map((a) => at(a.attempted_at)),
      attempts.map((a) => at(a.next_retry_at)),
      attempts.map((a) => a.error_message),
      attempts.map((a) => a.duration_ms),
      items.map((c) => c.delivery_id),
      items.map((c) => c.worker_id),
      items.map((c) => c.next.status),
      items.map((c) => at(c.next.status === 'pending' ? c.next.next_attempt_at : null)),
      ...statsParams(stats, at),
    ]);
    const applied = new Set(rows.map((r) => r.delivery_id));
    return items.map((c) => applied.has(c.delivery_id));
  }

  async addStats(manager: EntityManager, rows: readonly StatsRow[]): Promise<void> {
    if (rows.length === 0) return;
    const { addStats, at } = this.statements();
    await manager.query(addStats, statsParams(rows, at));
  }

  /**
   * One statement, on `db` (the DataSource, or the caller's transaction). An id repeated in the batch counts
   * once (its first item); one already stored is skipped by `ON CONFLICT DO NOTHING`, which also waits for a
   * concurrent insert of the same id instead of failing, and never aborts a surrounding transaction.
   */
  private async enqueueWith(db: QueryExecutor, items: readonly EnqueueItem[]): Promise<boolean[]> {
    const seen = new Set<string>();
    const firsts = items.filter((item) => !seen.has(item.event.event_id) && seen.add(item.event.event_id));
    const rows = firsts.flatMap((i) => deliveryRows(i.event, i.deliveries));
    const { enqueue, takeLanes, at } = this.statements();
    await numberLanes(
      rows,
      async (demands, nowMs) => {
        const taken: Array<{ s: string; k: string; last: string }> = await db.query(takeLanes, [demands.map((d) => d.subscription_id), demands.map((d) => d.lane_key), nowMs, demands.map((d) => d.count)]);
        return new Map(taken.map((r) => [laneId(r.s, r.k), Number(r.last)]));
      },
      Date.now(),
    );
    const stored: Array<{ event_id: string }> = await db.query(enqueue, [
      firsts.map((i) => i.event.event_id),
      firsts.map((i) => i.event.event_type),
      firsts.map((i) => i.event.body),
      firsts.map((i) => at(i.event.occurred_at)),
      firsts.map((i) => i.event.source),
      firsts.map((i) => at(i.event.created_at)),
      rows.map((d) => d.delivery_id),
      rows.map((d) => d.subscription_id),
      rows.map((d) => d.event_id),
      rows.map((d) => d.event_type),
      rows.map((d) => at(d.at)),
      rows.map((d) => d.locked_by),
      rows.map((d) => at(d.locked_until)),
      firsts.map((i) => i.event.traceparent ?? null),
      rows.map((d) => d.lane),
      rows.map((d) => d.lane_seq),
    ]);
    const created = new Set(stored.map((r) => r.event_id));
    // Only the first item of an id can have been created.
    const answered = new Set<string>();
    return items.map((item) => created.has(item.event.event_id) && !answered.has(item.event.event_id) && !!answered.add(item.event.event_id));
  }

  /** The statements for this DataSource's table and column names, built on first use (metadata is ready then). */
  private statements(): Statements {
    return (this.built ??= buildStatements(this.dataSource));
  }
}

interface Statements {
  enqueue: string;
  /** See `TakeLaneNumbers`: $1 subscription ids, $2 lane keys, $3 now (ms), $4 counts. */
  takeLanes: string;
  /** $1 delivery ids, $2 worker, $3 until, $4 now. */
  leaseByIds: string;
  complete: string;
  /** Adds stats rows, parameters $1..$6 (see {@link statsParams}). */
  addStats: string;
  /** A Date as the driver writes a `timestamp(3)` column (null stays null). */
  at: (d: Date | null) => unknown;
}

function buildStatements(ds: DataSource): Statements {
  const ev = columnsOf(ds, WebhookEventEntity);
  const dl = columnsOf(ds, WebhookDeliveryEntity);
  const at = columnsOf(ds, WebhookDeliveryAttemptEntity);
  const ln = columnsOf(ds, WebhookLaneEntity);
  const st = columnsOf(ds, WebhookAttemptStatsEntity);
  const statsTable = quotedTable(ds, WebhookAttemptStatsEntity);
  const counts = ['attempts', 'delivered', 'failed'] as const;
  // Rows arrive summed per key and sorted (statsRowsOf), so concurrent statements lock them in the same order.
  const upsertStats = (n: number) =>
    `INSERT INTO ${statsTable} AS s (${st('subscription_id')}, ${st('slice_start')}, ${st('duration_class')}, ${counts.map(st).join(', ')}) ` +
    `SELECT * FROM unnest($${n}::varchar[], $${n + 1}::timestamp(3)[], $${n + 2}::int[], $${n + 3}::int[], $${n + 4}::int[], $${n + 5}::int[]) ` +
    `ON CONFLICT (${st('subscription_id')}, ${st('slice_start')}, ${st('duration_class')}) DO UPDATE SET ` +
    counts.map((c) => `${st(c)} = s.${st(c)} + EXCLUDED.${st(c)}`).join(', ');
  const dateColumn = ds.getMetadata(WebhookDeliveryEntity).findColumnWithPropertyName('next_attempt_at')!;
  return {
    enqueue:
      `WITH ev AS (INSERT INTO ${quotedTable(ds, WebhookEventEntity)} (${ev('event_id')}, ${ev('event_type')}, ${ev('body')}, ${ev('occurred_at')}, ${ev('source')}, ${ev('created_at')}, ${ev('traceparent')}) ` +
      `SELECT v.id, v.typ, json_build_object('text', v.body), v.occurred, v.src, v.created, v.tp ` +
      `FROM unnest($1::varchar[], $2::varchar[], $3::text[], $4::timestamp(3)[], $5::varchar[], $6::timestamp(3)[], $14::varchar[]) AS v(id, typ, body, occurred, src, created, tp) ` +
      `ON CONFLICT (${ev('event_id')}) DO NOTHING RETURNING ${ev('event_id')} AS event_id), ` +
      `dl AS (INSERT INTO ${quotedTable(ds, WebhookDeliveryEntity)} (${dl('delivery_id')}, ${dl('subscription_id')}, ${dl('event_id')}, ${dl('event_type')}, ` +
      `${dl('status')}, ${dl('attempts')}, ${dl('next_attempt_at')}, ${dl('created_at')}, ${dl('updated_at')}, ${dl('locked_by')}, ${dl('locked_until')}, ${dl('lane_key')}, ${dl('lane_seq')}) ` +
      `SELECT d.id, d.sub, d.evt, d.typ, 'pending', 0, d.at, d.at, d.at, d.lby, d.luntil, d.lane, d.seq ` +
      `FROM unnest($7::varchar[], $8::varchar[], $9::varchar[], $10::varchar[], $11::timestamp(3)[], $12::varchar[], $13::timestamp(3)[], $15::varchar[], $16::bigint[]) AS d(id, sub, evt, typ, at, lby, luntil, lane, seq) ` +
      `WHERE d.evt IN (SELECT event_id FROM ev)) ` +
      `SELECT event_id FROM ev`,
    takeLanes:
      `INSERT INTO ${quotedTable(ds, WebhookLaneEntity)} AS l (${ln('subscription_id')}, ${ln('lane_key')}, ${ln('last_seq')}) ` +
      `SELECT v.s, v.k, $3::bigint + v.n FROM unnest($1::varchar[], $2::varchar[], $4::bigint[]) WITH ORDINALITY AS v(s, k, n, o) ORDER BY v.o ` +
      `ON CONFLICT (${ln('subscription_id')}, ${ln('lane_key')}) DO UPDATE SET ${ln('last_seq')} = GREATEST(l.${ln('last_seq')}, $3::bigint) + (EXCLUDED.${ln('last_seq')} - $3::bigint) ` +
      `RETURNING l.${ln('subscription_id')} AS s, l.${ln('lane_key')} AS k, l.${ln('last_seq')} AS last`,
    // A CTE: for a bare `UPDATE ... RETURNING`, TypeORM's query() gives `[rows, rowCount]` rather than the rows.
    leaseByIds:
      `WITH leased AS (UPDATE ${quotedTable(ds, WebhookDeliveryEntity)} SET ${dl('locked_by')} = $2, ${dl('locked_until')} = $3, ${dl('updated_at')} = $4 ` +
      `WHERE ${dl('delivery_id')} = ANY($1::varchar[]) AND ${dl('status')} = 'pending' AND ${dl('lane_key')} IS NULL AND ${dl('next_attempt_at')} <= $4 ` +
      `AND (${dl('locked_until')} IS NULL OR ${dl('locked_until')} <= $4) RETURNING ${dl('delivery_id')} AS delivery_id) SELECT delivery_id FROM leased`,
    complete:
      `WITH logged AS (INSERT INTO ${quotedTable(ds, WebhookDeliveryAttemptEntity)} (${at('attempt_id')}, ${at('subscription_id')}, ${at('event_id')}, ${at('event_type')}, ` +
      `${at('status')}, ${at('status_code')}, ${at('attempt_number')}, ${at('attempted_at')}, ${at('next_retry_at')}, ${at('error_message')}, ${at('duration_ms')}) ` +
      `SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::int[], $7::int[], $8::timestamp(3)[], $9::timestamp(3)[], $10::text[], $11::int[])), ` +
      `moved AS (UPDATE ${quotedTable(ds, WebhookDeliveryEntity)} AS d SET ${dl('status')} = v.status, ${dl('attempts')} = v.attempts, ${dl('last_attempt_id')} = v.attempt_id, ` +
      `${dl('locked_by')} = NULL, ${dl('locked_until')} = NULL, ${dl('updated_at')} = v.updated_at, ${dl('next_attempt_at')} = COALESCE(v.next_at, d.${dl('next_attempt_at')}) ` +
      `FROM unnest($12::varchar[], $13::varchar[], $14::varchar[], $7::int[], $1::varchar[], $8::timestamp(3)[], $15::timestamp(3)[]) AS v(id, worker, status, attempts, attempt_id, updated_at, next_at) ` +
      `WHERE d.${dl('delivery_id')} = v.id AND d.${dl('locked_by')} = v.worker RETURNING d.${dl('delivery_id')} AS delivery_id), ` +
      `counted AS (${upsertStats(16)}) ` +
      `SELECT delivery_id FROM moved`,
    addStats: upsertStats(1),
    at: (d) => (d ? ds.driver.preparePersistentValue(d, dateColumn) : null),
  };
}

/** The six array parameters of a stats upsert, from rows summed per key. */
function statsParams(rows: readonly StatsRow[], at: (d: Date | null) => unknown): unknown[] {
  return [
    rows.map((r) => r.subscription_id),
    rows.map((r) => at(r.slice_start)),
    rows.map((r) => r.duration_class),
    rows.map((r) => r.attempts),
    rows.map((r) => r.delivered),
    rows.map((r) => r.failed),
  ];
}

/** The quoted database column of an entity property. */
function columnsOf<T extends ObjectLiteral>(ds: DataSource, entity: EntityTarget<T>): (property: keyof T & string) => string {
  const meta = ds.getMetadata(entity);
  return (property) => ds.driver.escape(meta.findColumnWithPropertyName(property)!.databaseName);
}
