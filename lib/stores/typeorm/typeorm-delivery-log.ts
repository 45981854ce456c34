import type { SelectQueryBuilder } from 'typeorm';
import type { AttemptStats, AttemptStatsQuery } from '../../domain/stats';
import type { AttemptCursor, AttemptQuery, DeadLetterQuery, DeliveryLog, FailureRun } from '../../domain/delivery-log';
import type { DeliveryAttempt, DeliveryRecord, StoredEvent } from '../../domain/types';
import { statsRowsOf } from '../attempt-stats';
import { pageBounds } from '../store.utils';
import type { TypeOrmStoreContext } from './store-context';
import { TypeOrmAttemptStats } from './typeorm-attempt-stats';
import { attemptFromRow, attemptToRow, copyEvent, deliveryFromRow } from './typeorm-rows';
import { WebhookDeliveryAttemptEntity } from './webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEventEntity } from './webhook-event.entity';

/** The attempt log and the reads operators make (admin API, auto-disable), through TypeORM. */
export class TypeOrmDeliveryLog implements DeliveryLog {
  private readonly stats: TypeOrmAttemptStats;

  constructor(private readonly ctx: TypeOrmStoreContext) {
    this.stats = new TypeOrmAttemptStats(ctx);
  }

  async recordAttempt(attempt: DeliveryAttempt): Promise<void> {
    await this.ctx.run((ds, dialect) =>
      ds.transaction(async (manager) => {
        await manager.createQueryBuilder().insert().into(WebhookDeliveryAttemptEntity).values(attemptToRow(attempt)).updateEntity(false).execute();
        await dialect.addStats(manager, statsRowsOf([attempt]));
      }),
    );
  }

  async getAttempt(attemptId: string): Promise<DeliveryAttempt | null> {
    const row = await this.ctx.run((ds) => ds.getRepository(WebhookDeliveryAttemptEntity).findOneBy({ attempt_id: attemptId }));
    return row ? attemptFromRow(row) : null;
  }

  async getAttempts(query: AttemptQuery = {}): Promise<DeliveryAttempt[]> {
    const { limit, offset } = pageBounds(query);
    if (limit === 0) return [];
    const rows = await this.ctx.run((ds) => {
      const qb = ds.getRepository(WebhookDeliveryAttemptEntity).createQueryBuilder('a');
      if (query.subscription_id !== undefined) qb.andWhere('a.subscription_id = :sub', { sub: query.subscription_id });
      if (query.event_id !== undefined) qb.andWhere('a.event_id = :event', { event: query.event_id });
      if (query.status !== undefined) qb.andWhere('a.status = :status', { status: query.status });
      if (query.event_type !== undefined) qb.andWhere('a.event_type = :type', { type: query.event_type });
      if (query.since !== undefined) qb.andWhere('a.attempted_at >= :since', { since: query.since });
      if (query.until !== undefined) qb.andWhere('a.attempted_at < :until', { until: query.until });
      return newestFirst(qb, query.before).offset(offset).limit(limit).getMany();
    });
    return rows.map(attemptFromRow);
  }

  async getDeadLetters(query: DeadLetterQuery = {}): Promise<DeliveryAttempt[]> {
    const { limit, offset } = pageBounds(query);
    if (limit === 0) return [];
    const rows = await this.ctx.run((ds) => {
      const qb = ds
        .getRepository(WebhookDeliveryAttemptEntity)
        .createQueryBuilder('a')
        .innerJoin(WebhookDeliveryEntity, 'd', 'd.last_attempt_id = a.attempt_id')
        .where('d.status = :dead', { dead: 'dead_letter' });
      if (query.subscription_id !== undefined) qb.andWhere('d.subscription_id = :sub', { sub: query.subscription_id });
      return newestFirst(qb, query.before).offset(offset).limit(limit).getMany();
    });
    return rows.map(attemptFromRow);
  }

  async countDeadLetters(query: Pick<DeadLetterQuery, 'subscription_id'> = {}): Promise<number> {
    return this.ctx.run((ds) => {
      const qb = ds.getRepository(WebhookDeliveryEntity).createQueryBuilder('d').where('d.status = :dead', { dead: 'dead_letter' });
      if (query.subscription_id !== undefined) qb.andWhere('d.subscription_id = :sub', { sub: query.subscription_id });
      return qb.getCount();
    });
  }

  async countRecentFailures(subscriptionId: string, since: Date): Promise<number> {
    return (await this.recentFailureRun(subscriptionId, since)).failures;
  }

  async recentFailureRun(subscriptionId: string, since: Date): Promise<FailureRun> {
    return this.ctx.run(async (ds) => {
      const attempts = ds.getRepository(WebhookDeliveryAttemptEntity);
      // Only a success at or after `since` can cut the run short: earlier ones precede every counted failure.
      const lastSuccess = await attempts
        .createQueryBuilder('a')
        .where('a.subscription_id = :sub AND a.status = :delivered AND a.attempted_at >= :since', { sub: subscriptionId, delivered: 'delivered', since })
        .orderBy('a.attempted_at', 'DESC')
        .limit(1)
        .getOne();
      const qb = attempts
        .createQueryBuilder('a')
        .where('a.subscription_id = :sub AND a.attempted_at >= :since', { sub: subscriptionId, since })
        .andWhere('a.status IN (:...failed)', { failed: ['failed', 'dead_letter'] });
      if (lastSuccess) qb.andWhere('a.attempted_at > :success', { success: lastSuccess.attempted_at });
      return { failures: await qb.getCount(), last_success_at: lastSuccess?.attempted_at ?? null };
    });
  }

  async getEvent(eventId: string): Promise<StoredEvent | null> {
    const row = await this.ctx.run((ds) => ds.getRepository(WebhookEventEntity).findOneBy({ event_id: eventId }));
    return row ? copyEvent(row) : null;
  }

  async getDelivery(eventId: string, subscriptionId: string): Promise<DeliveryRecord | null> {
    const row = await this.ctx.run((ds) => ds.getRepository(WebhookDeliveryEntity).findOneBy({ event_id: eventId, subscription_id: subscriptionId }));
    return row ? deliveryFromRow(row) : null;
  }

  attemptStats(query: AttemptStatsQuery): Promise<AttemptStats> {
    return this.stats.stats(query);
  }
}

/** The log's order: newest first, then attempt_number and id descending (what the attempt indexes end with). */
/** Log order, newest first, starting after `before` (keyset: an index range scan wherever the page is). */
function newestFirst<T extends object>(qb: SelectQueryBuilder<T>, before?: AttemptCursor): SelectQueryBuilder<T> {
  if (before) {
    qb.andWhere('(a.attempted_at < :bAt OR (a.attempted_at = :bAt AND (a.attempt_number < :bNum OR (a.attempt_number = :bNum AND a.attempt_id < :bId))))', {
      bAt: before.attempted_at,
      bNum: before.attempt_number,
      bId: before.attempt_id,
    });
  }
  return qb.orderBy('a.attempted_at', 'DESC').addOrderBy('a.attempt_number', 'DESC').addOrderBy('a.attempt_id', 'DESC');
}
