import type { DataSource, EntityManager } from 'typeorm';
import type { WebhookLogger } from '../../../domain/logger';
import type { AttemptCompletion, DeliveryLease, EnqueueItem, RateLimitedClaim } from '../../../domain/delivery-queue';
import type { ClaimedDelivery } from '../../../domain/types';
import type { StatsRow } from '../../attempt-stats';
import { bodyTransformer } from '../columns';
import { deliveryFromRow, deliveryRows } from '../typeorm-rows';
import type { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { laneId, numberLanes } from './lane-sequences';
import { pgAddStats } from './postgres/add-stats.sql';
import { pgClaim } from './postgres/claim.sql';
import { pgComplete } from './postgres/complete.sql';
import { pgEnqueue } from './postgres/enqueue.sql';
import { pgLeaseByIds } from './postgres/lease-by-ids.sql';
import { PgListener } from './postgres/listener';
import { notificationChannel, pgNotify } from './postgres/notify.sql';
import { pgTakeLanes } from './postgres/take-lanes.sql';
import type { ClaimRequest, QueryExecutor, QueueDialect, SignalHandlers, SignalListener } from './queue-dialect';
import { claimRateLimited } from './rate-limited-claim';
import { runStatement } from './sql-statement';

/**
 * PostgreSQL: the three writes on the hot path of every delivery (enqueue, claim, completion) are each ONE
 * statement, over `unnest`ed arrays where they write many rows: one round trip and one commit per batch, with
 * no BEGIN/COMMIT round trips and no per-row parameters. A statement is atomic on its own, so each keeps the
 * all-or-nothing of a transaction. Measured on a 2-vCPU machine: the socket writes of each round trip cost the
 * Node process more CPU than building the SQL, so round trips per delivery are what to save.
 *
 * Each statement is a function of its own in `./postgres/*.sql.ts`, its text beside its values.
 */
export class PostgresQueueDialect implements QueueDialect {
  readonly name = 'postgres';

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
    await runStatement(db, pgNotify(this.dataSource, signal));
  }

  /** `LISTEN` on the DataSource's notification channel over one dedicated connection ({@link PgListener}). */
  listener(handlers: SignalHandlers, logger: WebhookLogger): SignalListener {
    return new PgListener(this.dataSource, notificationChannel(this.dataSource), handlers, logger);
  }

  /**
   * One statement (its own transaction): pick due rows with `FOR UPDATE SKIP LOCKED`, lease them, and return
   * them joined with their events. The multi-statement transaction it replaces took six round trips, and claims
   * sit on the hot path of every delivery.
   */
  async claim(request: ClaimRequest): Promise<ClaimedDelivery[]> {
    const rows = await runStatement<Array<Record<string, unknown>>>(this.dataSource, pgClaim(this.dataSource, request));
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
    const rows = await runStatement<Array<{ delivery_id: string }>>(this.dataSource, pgLeaseByIds(this.dataSource, deliveryIds, lease, now));
    return rows.map((r) => r.delivery_id);
  }

  /**
   * One statement: logs the attempts, adds them to the stats rows, and moves on each delivery whose worker still
   * holds the lease.
   */
  async complete(items: readonly AttemptCompletion[]): Promise<boolean[]> {
    const rows = await runStatement<Array<{ delivery_id: string }>>(this.dataSource, pgComplete(this.dataSource, items));
    const applied = new Set(rows.map((r) => r.delivery_id));
    return items.map((c) => applied.has(c.delivery_id));
  }

  async addStats(manager: EntityManager, rows: readonly StatsRow[]): Promise<void> {
    if (rows.length === 0) return;
    await runStatement(manager, pgAddStats(this.dataSource, rows));
  }

  /**
   * One statement, on `db` (the DataSource, or the caller's transaction), after one taking lane numbers when some
   * deliveries are laned. An id repeated in the batch counts once (its first item); one already stored is skipped
   * by `ON CONFLICT DO NOTHING`, which also waits for a concurrent insert of the same id instead of failing, and
   * never aborts a surrounding transaction.
   */
  private async enqueueWith(db: QueryExecutor, items: readonly EnqueueItem[]): Promise<boolean[]> {
    const ds = this.dataSource;
    const seen = new Set<string>();
    const firsts = items.filter((item) => !seen.has(item.event.event_id) && seen.add(item.event.event_id));
    const rows = firsts.flatMap((i) => deliveryRows(i.event, i.deliveries));
    await numberLanes(
      rows,
      async (demands, nowMs) => {
        const taken = await runStatement<Array<{ s: string; k: string; last: string }>>(db, pgTakeLanes(ds, demands, nowMs));
        return new Map(taken.map((r) => [laneId(r.s, r.k), Number(r.last)]));
      },
      Date.now(),
    );
    const stored = await runStatement<Array<{ event_id: string }>>(
      db,
      pgEnqueue(
        ds,
        firsts.map((i) => i.event),
        rows,
      ),
    );
    const created = new Set(stored.map((r) => r.event_id));
    // Only the first item of an id can have been created.
    const answered = new Set<string>();
    return items.map((item) => created.has(item.event.event_id) && !answered.has(item.event.event_id) && !!answered.add(item.event.event_id));
  }
}
