import type { EntityManager } from 'typeorm';
import type { QueueSnapshot } from '../../domain/stats';
import type { AttemptCompletion, ClaimOptions, DeliveryLease, DeliveryQueue, EnqueueItem, EnqueueOptions, RateLimitedClaim, RedriveQuery } from '../../domain/delivery-queue';
import type { ClaimedDelivery } from '../../domain/types';
import type { ClaimRequest } from './dialects';
import type { TypeOrmStoreContext } from './store-context';
import { joinTransaction } from './transaction-check';
import type { TypeOrmSignals } from './typeorm-signals';
import { isUniqueViolation, retryOnConflict } from './dialects/driver-errors';
import { chunks, dateCodec, SQL_CHUNK } from './typeorm.utils';
import { WebhookDeliveryAttemptEntity } from './webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';

/**
 * The delivery queue through TypeORM. Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL and MySQL 8/MariaDB
 * 10.6+, and one atomic `UPDATE ... RETURNING` on SQLite, so any number of workers (and replicas, on a server
 * database) can share the queue. The statements that differ per database live in the dialects; what is the
 * same everywhere (retries, the duplicate fallback, requeue and release) lives here.
 */
export class TypeOrmDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly ctx: TypeOrmStoreContext,
    private readonly signals: TypeOrmSignals,
  ) {}

  async enqueue(items: readonly EnqueueItem[], options: EnqueueOptions = {}): Promise<boolean[]> {
    if (options.manager !== undefined) return this.enqueueInTransaction(items, joinTransaction(options.manager, this.ctx.dialect.dataSource), options);
    if (items.length === 0) return [];
    try {
      return await this.ctx.run(async (ds, dialect) => {
        const stored = await retryOnConflict(() => dialect.enqueue(items));
        // Deliveries this process did not take: tell the other replicas now rather than at their next poll.
        if (items.some((item, i) => stored[i] && item.deliveries.some((d) => !d.lease))) await dialect.notify(ds, this.signals.deliveriesSignal);
        return stored;
      });
    } catch (error) {
      // A concurrent enqueue stored one of these ids between our check and our insert: the whole batch rolled
      // back, so redo it one event at a time, where a conflict means exactly "already stored".
      if (!isUniqueViolation(error)) throw error;
      if (items.length === 1) return [false];
      const out: boolean[] = [];
      for (const item of items) out.push((await this.enqueue([item]))[0]);
      return out;
    }
  }

  /**
   * Inside the caller's transaction: the rows (never leased) exist exactly when it commits. On commit this process
   * runs `options.on_commit` (or wakes its engine), and every replica told (`wake_others`: PostgreSQL NOTIFY,
   * delivered at commit) looks for them.
   */
  private async enqueueInTransaction(items: readonly EnqueueItem[], manager: EntityManager, options: EnqueueOptions): Promise<boolean[]> {
    if (items.length === 0) return [];
    const unleased = items.map((item) => ({ event: item.event, deliveries: item.deliveries.map((d) => ({ ...d, lease: null })) }));
    const stored = await this.insertInTransaction(unleased, manager);
    if (stored.some(Boolean)) {
      if (options.wake_others ?? true) await this.ctx.dialect.notify(manager, this.signals.deliveriesSignal);
      this.signals.watchCommit(manager.queryRunner!, options.on_commit);
    }
    return stored;
  }

  private async insertInTransaction(items: readonly EnqueueItem[], manager: EntityManager): Promise<boolean[]> {
    try {
      return await this.ctx.dialect.enqueueIn(manager, items);
    } catch (error) {
      // A concurrent transaction stored one of these ids between the check and the insert (MySQL, SQLite: a failed
      // statement leaves the transaction usable). One at a time, a conflict means exactly "already stored".
      if (!isUniqueViolation(error)) throw error;
      if (items.length === 1) return [false];
      const out: boolean[] = [];
      for (const item of items) out.push(...(await this.insertInTransaction([item], manager)));
      return out;
    }
  }

  async claimDue(options: ClaimOptions): Promise<ClaimedDelivery[]> {
    const request = claimRequest(options);
    return request ? this.ctx.run((_, dialect) => dialect.claim(request)) : [];
  }

  async claimRateLimited(options: ClaimOptions): Promise<RateLimitedClaim> {
    const request = claimRequest(options);
    return request ? this.ctx.run((_, dialect) => dialect.claimRateLimited(request)) : { claimed: [], next_at: null };
  }

  async complete(items: readonly AttemptCompletion[]): Promise<boolean[]> {
    if (items.length === 0) return [];
    return this.ctx.run((_, dialect) => retryOnConflict(() => dialect.complete(items)));
  }

  async leaseByIds(deliveryIds: readonly string[], lease: DeliveryLease, now: Date): Promise<string[]> {
    const out: string[] = [];
    for (const part of chunks([...new Set(deliveryIds)])) out.push(...(await this.ctx.run((_, dialect) => retryOnConflict(() => dialect.leaseByIds(part, lease, now)))));
    return out;
  }

  async requeueDelivery(eventId: string, subscriptionId: string, now: Date): Promise<boolean> {
    const result = await this.ctx.run((ds) =>
      ds
        .createQueryBuilder()
        .update(WebhookDeliveryEntity)
        .set(revived(now))
        .where('event_id = :event AND subscription_id = :sub', { event: eventId, sub: subscriptionId })
        .execute(),
    );
    return (result.affected ?? 0) > 0;
  }

  async requeueDeadLetters(query: RedriveQuery, now: Date): Promise<number> {
    return this.ctx.run(async (ds) => {
      let total = 0;
      for (;;) {
        // When it was dead-lettered: its last attempt, else its last change.
        const qb = ds
          .getRepository(WebhookDeliveryEntity)
          .createQueryBuilder('d')
          .leftJoin(WebhookDeliveryAttemptEntity, 'a', 'a.attempt_id = d.last_attempt_id')
          .select('d.delivery_id', 'delivery_id')
          .where('d.status = :dead', { dead: 'dead_letter' });
        if (query.subscription_id !== undefined) qb.andWhere('d.subscription_id = :sub', { sub: query.subscription_id });
        if (query.since) qb.andWhere('COALESCE(a.attempted_at, d.updated_at) >= :since', { since: query.since });
        if (query.until) qb.andWhere('COALESCE(a.attempted_at, d.updated_at) < :until', { until: query.until });
        const ids = (await qb.limit(SQL_CHUNK).getRawMany<{ delivery_id: string }>()).map((r) => r.delivery_id);
        if (ids.length === 0) return total;
        const result = await ds
          .createQueryBuilder()
          .update(WebhookDeliveryEntity)
          .set(revived(now))
          .where('delivery_id IN (:...ids) AND status = :dead', { ids, dead: 'dead_letter' })
          .execute();
        total += result.affected ?? 0;
        if (ids.length < SQL_CHUNK) return total;
      }
    });
  }

  async releaseLeases(workerId: string, deliveryIds?: readonly string[]): Promise<number> {
    return this.ctx.run(async (ds) => {
      const release = (ids?: string[]) => {
        const qb = ds
          .createQueryBuilder()
          .update(WebhookDeliveryEntity)
          .set({ locked_by: null, locked_until: null })
          .where('locked_by = :worker', { worker: workerId });
        if (ids) qb.andWhere('delivery_id IN (:...ids)', { ids });
        return qb.execute();
      };
      if (deliveryIds === undefined) return (await release()).affected ?? 0;
      let total = 0;
      for (const part of chunks([...new Set(deliveryIds)])) total += (await release(part)).affected ?? 0;
      return total;
    });
  }

  /** Three indexed reads of `IDX_webhook_deliveries_due` (status, next_attempt_at). */
  async queueSnapshot(now: Date): Promise<QueueSnapshot> {
    return this.ctx.run(async (ds) => {
      const repo = ds.getRepository(WebhookDeliveryEntity);
      const count = async (status: string) => Number((await repo.createQueryBuilder('d').select('COUNT(*)', 'n').where('d.status = :status', { status }).getRawOne<{ n: unknown }>())?.n ?? 0);
      const [pending, dead, oldest] = await Promise.all([
        count('pending'),
        count('dead_letter'),
        repo.createQueryBuilder('d').select('MIN(d.next_attempt_at)', 'at').where('d.status = :pending AND d.next_attempt_at <= :now', { pending: 'pending', now }).getRawOne<{ at: unknown }>(),
      ]);
      return { pending, oldest_due_at: dateCodec(ds.driver).read(oldest?.at), dead_letters: dead };
    });
  }
}

/** Most per-subscription exceptions passed to one claim (the others get the default share). */
const MAX_CLAIM_LIMITS = 500;

/** A claim's options as the dialects take them; null when it can take nothing. */
function claimRequest(options: ClaimOptions): ClaimRequest | null {
  const limit = Math.trunc(options.limit);
  if (!(limit > 0)) return null;
  const now = options.now;
  const perSubscription = options.per_subscription_limit !== undefined ? Math.max(Math.trunc(options.per_subscription_limit), 1) : null;
  const limits = options.per_subscription_limits?.size ? [...options.per_subscription_limits].slice(0, MAX_CLAIM_LIMITS).map(([id, n]): [string, number] => [id, Math.max(Math.trunc(n), 1)]) : null;
  return {
    limit,
    now,
    lease: { locked_until: new Date(now.getTime() + options.lease_ms), locked_by: options.worker_id, updated_at: now },
    excluded: options.exclude_subscription_ids?.length ? [...options.exclude_subscription_ids] : null,
    // A fair pick when some subscription's share is below the limit.
    per_subscription: (perSubscription !== null && perSubscription < limit) || limits ? (perSubscription ?? limit) : null,
    limits,
  };
}

/** A fresh retry cycle, due now and unleased. */
function revived(now: Date): Partial<WebhookDeliveryEntity> {
  return { status: 'pending', attempts: 0, next_attempt_at: now, locked_by: null, locked_until: null, updated_at: now };
}
