import type { DataSource } from 'typeorm';
import type { DeliveryRetention } from '../../domain/delivery-store';
import type { TypeOrmStoreContext } from './store-context';
import { TypeOrmAttemptStats } from './typeorm-attempt-stats';
import { retryOnConflict } from './dialects/driver-errors';
import { WebhookDeliveryAttemptEntity } from './webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookLaneEntity } from './webhook-lane.entity';

/** Delivery states after which nothing more happens (an event whose deliveries are all final may be purged). */
const FINAL_STATUSES = ['delivered', 'dead_letter', 'cancelled'];
/** Rows deleted per statement by `purge`, so no statement holds its locks for long. */
const PURGE_BATCH = 1000;

/** The scheduled purge of old attempts (with their stats rows) and finished events, through TypeORM, in batches. */
export class TypeOrmDeliveryRetention implements DeliveryRetention {
  private readonly stats: TypeOrmAttemptStats;

  constructor(private readonly ctx: TypeOrmStoreContext) {
    this.stats = new TypeOrmAttemptStats(ctx);
  }

  async purge(before: Date): Promise<{ attempts: number; events: number }> {
    return this.ctx.run(async (ds) => {
      const attempts = await purgeAttempts(ds, before);
      await this.stats.purge(ds, before);
      const events = await purgeEvents(ds, before);
      await purgeIdleLanes(ds);
      return { attempts, events };
    });
  }
}

/** How long a lane's row outlives its last enqueue. */
const LANE_IDLE_MS = 86_400_000;

/**
 * Deletes the rows of lanes idle for a day (see `WebhookLaneEntity.last_seq`, which follows the clock: a lane
 * started again later is numbered after everything it had).
 */
async function purgeIdleLanes(ds: DataSource): Promise<void> {
  await ds
    .createQueryBuilder()
    .delete()
    .from(WebhookLaneEntity)
    .where('last_seq < :idle', { idle: Date.now() - LANE_IDLE_MS })
    .execute();
}

/** Deletes attempts older than `before`, a batch at a time. */
async function purgeAttempts(ds: DataSource, before: Date): Promise<number> {
  let attempts = 0;
  for (;;) {
    const ids = (
      await ds
        .getRepository(WebhookDeliveryAttemptEntity)
        .createQueryBuilder('a')
        .select('a.attempt_id', 'attempt_id')
        .where('a.attempted_at < :before', { before })
        .limit(PURGE_BATCH)
        .getRawMany<{ attempt_id: string }>()
    ).map((r) => r.attempt_id);
    if (ids.length === 0) break;
    const result = await ds.createQueryBuilder().delete().from(WebhookDeliveryAttemptEntity).where('attempt_id IN (:...ids)', { ids }).execute();
    attempts += result.affected ?? 0;
    if (ids.length < PURGE_BATCH) break;
  }
  return attempts;
}

/** Deletes events created before `before` whose deliveries are all final, with those deliveries. */
async function purgeEvents(ds: DataSource, before: Date): Promise<number> {
  let events = 0;
  let after: { created_at: Date; event_id: string } | null = null;
  for (;;) {
    // Events created before `before` none of whose deliveries is still pending, oldest first (keyset paging).
    const qb = ds
      .getRepository(WebhookEventEntity)
      .createQueryBuilder('e')
      .select(['e.event_id', 'e.created_at'])
      .where('e.created_at < :before', { before })
      .andWhere(
        (sub) =>
          'NOT EXISTS ' +
          sub
            .subQuery()
            .select('1')
            .from(WebhookDeliveryEntity, 'd')
            .where('d.event_id = e.event_id')
            .andWhere('d.status NOT IN (:...final)', { final: FINAL_STATUSES })
            .getQuery(),
      );
    if (after) {
      qb.andWhere('(e.created_at > :afterAt OR (e.created_at = :afterAt AND e.event_id > :afterId))', { afterAt: after.created_at, afterId: after.event_id });
    }
    const batch = await qb.orderBy('e.created_at', 'ASC').addOrderBy('e.event_id', 'ASC').limit(PURGE_BATCH).getMany();
    if (batch.length === 0) break;
    const ids = batch.map((e) => e.event_id);
    events += await retryOnConflict(() =>
      ds.transaction(async (manager) => {
        await manager
          .createQueryBuilder()
          .delete()
          .from(WebhookDeliveryEntity)
          .where('event_id IN (:...ids) AND status IN (:...final)', { ids, final: FINAL_STATUSES })
          .execute();
        // An event requeued meanwhile keeps its pending delivery, and so is kept.
        const driver = manager.connection.driver;
        const eventsTable = driver.escape(manager.connection.getMetadata(WebhookEventEntity).tableName);
        const remaining = manager
          .createQueryBuilder()
          .select('1')
          .from(WebhookDeliveryEntity, 'r')
          .where(`r.event_id = ${eventsTable}.${driver.escape('event_id')}`)
          .getQuery();
        const result = await manager
          .createQueryBuilder()
          .delete()
          .from(WebhookEventEntity)
          .where('event_id IN (:...ids)', { ids })
          .andWhere(`NOT EXISTS (${remaining})`)
          .execute();
        return result.affected ?? 0;
      }),
    );
    if (batch.length < PURGE_BATCH) break;
    const last = batch[batch.length - 1];
    after = { created_at: last.created_at, event_id: last.event_id };
  }
  return events;
}
