import type { EntityManager } from 'typeorm';
import type { SubscriptionChange } from '../../domain/stores';
import type { TypeOrmStoreContext } from './store-context';
import { SUBSCRIPTIONS_SIGNAL } from './typeorm-signals';
import { chunks } from './typeorm.utils';
import { WebhookSubscriptionChangeEntity } from './webhook-subscription-change.entity';

/** Rows deleted per statement by `purge`. */
const PURGE_BATCH = 1000;

/**
 * The change log of subscriptions (`webhook_subscription_changes`): every write of the subscription store logs
 * one row per subscription it wrote, in its own transaction, and (PostgreSQL) notifies the other processes on
 * commit. Processes follow the log by change id instead of reloading every subscription.
 */
export class SubscriptionChanges {
  constructor(private readonly ctx: TypeOrmStoreContext) {}

  /** Runs `write` in a transaction and logs a change for each subscription id it returns; returns them. */
  write(write: (manager: EntityManager) => Promise<string[]>): Promise<string[]> {
    return this.ctx.run((ds, dialect) =>
      ds.transaction(async (manager) => {
        const ids = await write(manager);
        if (ids.length === 0) return ids;
        const changed_at = new Date();
        for (const part of chunks(ids)) {
          await manager
            .createQueryBuilder()
            .insert()
            .into(WebhookSubscriptionChangeEntity)
            .values(part.map((subscription_id) => ({ subscription_id, changed_at })))
            .updateEntity(false)
            .execute();
        }
        await dialect.notify(manager, SUBSCRIPTIONS_SIGNAL);
        return ids;
      }),
    );
  }

  async since(after: number, limit: number): Promise<SubscriptionChange[]> {
    const rows = await this.ctx.run((ds) =>
      ds
        .getRepository(WebhookSubscriptionChangeEntity)
        .createQueryBuilder('c')
        .select(['c.change_id', 'c.subscription_id'])
        .where('c.change_id > :after', { after })
        .orderBy('c.change_id', 'ASC')
        .limit(limit)
        .getMany(),
    );
    return rows.map((r) => ({ change_id: Number(r.change_id), subscription_id: r.subscription_id }));
  }

  async lastId(): Promise<number> {
    const row = await this.ctx.run((ds) => ds.getRepository(WebhookSubscriptionChangeEntity).createQueryBuilder('c').select('MAX(c.change_id)', 'last').getRawOne<{ last: unknown }>());
    return Number(row?.last ?? 0);
  }

  async purge(before: Date): Promise<number> {
    return this.ctx.run(async (ds) => {
      let total = 0;
      for (;;) {
        const ids = (
          await ds.getRepository(WebhookSubscriptionChangeEntity).createQueryBuilder('c').select('c.change_id', 'id').where('c.changed_at < :before', { before }).limit(PURGE_BATCH).getRawMany<{ id: number }>()
        ).map((r) => r.id);
        if (ids.length === 0) return total;
        const result = await ds.createQueryBuilder().delete().from(WebhookSubscriptionChangeEntity).where('change_id IN (:...ids)', { ids }).execute();
        total += result.affected ?? 0;
        if (ids.length < PURGE_BATCH) return total;
      }
    });
  }
}
