import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager, QueryDeepPartialEntity, SelectQueryBuilder } from 'typeorm';
import { eventTypeMatches } from '../../domain/event-type';
import type { SubscriptionListQuery, WebhookSubscriptionStore } from '../../domain/stores';
import type { WebhookSubscription } from '../../domain/types';
import { InvalidSubscriptionError } from '../../domain/webhook.error';
import { cloneSubscription, pageBounds } from '../store.utils';
import { WebhookDataSourceRef } from './data-source.ref';
import { TypeOrmStoreContext } from './store-context';
import { escapeLike, isUniqueViolation } from './typeorm.utils';
import { WebhookRateLimitEntity } from './webhook-rate-limit.entity';
import { WebhookSubscriptionEntity } from './webhook-subscription.entity';

/** Rows read per round trip while filtering `list({ event_type })` in process. */
const SCAN_BATCH = 500;

/**
 * Subscriptions in the host app's SQL database (table `webhook_subscriptions`) through TypeORM: PostgreSQL,
 * MySQL/MariaDB or SQLite (better-sqlite3). Same semantics as `MemorySubscriptionStore`.
 */
@Injectable()
export class TypeOrmSubscriptionStore implements WebhookSubscriptionStore {
  private readonly ctx: TypeOrmStoreContext;

  constructor(ref: WebhookDataSourceRef) {
    this.ctx = new TypeOrmStoreContext(ref);
  }

  async create(sub: WebhookSubscription): Promise<WebhookSubscription> {
    const copy = cloneSubscription(sub);
    await this.run(async (ds) => {
      try {
        await ds.transaction(async (manager) => {
          await manager.createQueryBuilder().insert().into(WebhookSubscriptionEntity).values(toRow(copy) as QueryDeepPartialEntity<WebhookSubscriptionEntity>).updateEntity(false).execute();
          await keepBucket(manager, copy);
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new InvalidSubscriptionError(`subscription ${sub.subscription_id} already exists`);
        throw error;
      }
    });
    return copy;
  }

  async get(id: string): Promise<WebhookSubscription | null> {
    const row = await this.run((ds) => ds.getRepository(WebhookSubscriptionEntity).findOneBy({ subscription_id: id }));
    return row ? fromRow(row) : null;
  }

  async list(query: SubscriptionListQuery = {}): Promise<WebhookSubscription[]> {
    const { limit, offset } = pageBounds(query);
    if (limit === 0) return [];
    return this.run(async (ds) => {
      const base = this.filtered(ds, query).orderBy('s.created_at', 'ASC').addOrderBy('s.subscription_id', 'ASC');
      const eventType = query.event_type;
      if (eventType === undefined) {
        return (await base.offset(offset).limit(limit).getMany()).map(fromRow);
      }
      // SQL narrows to rows that may match (all types, the exact name, or some wildcard); the exact rule,
      // eventTypeMatches, runs here, so paging counts only true matches.
      base.andWhere(`(s.event_types IS NULL OR s.event_types LIKE :exact ESCAPE '!' OR s.event_types LIKE :wildcard ESCAPE '!')`, {
        exact: `%${escapeLike(JSON.stringify(eventType))}%`,
        wildcard: '%*%',
      });
      const out: WebhookSubscription[] = [];
      let skipped = 0;
      for (let from = 0; ; from += SCAN_BATCH) {
        const rows = await base.clone().offset(from).limit(SCAN_BATCH).getMany();
        for (const row of rows) {
          if (!eventTypeMatches(row.event_types, eventType)) continue;
          if (skipped < offset) skipped++;
          else out.push(fromRow(row));
          if (out.length >= limit) return out;
        }
        if (rows.length < SCAN_BATCH) return out;
      }
    });
  }

  async count(query: Pick<SubscriptionListQuery, 'active' | 'tenant_id'> = {}): Promise<number> {
    return this.run((ds) => this.filtered(ds, { active: query.active, tenant_id: query.tenant_id, active_only: false }).getCount());
  }

  async update(sub: WebhookSubscription): Promise<WebhookSubscription | null> {
    const copy = cloneSubscription(sub);
    const { subscription_id, ...changes } = toRow(copy);
    const updated = await this.run((ds) =>
      ds.transaction(async (manager) => {
        const result = await manager.createQueryBuilder().update(WebhookSubscriptionEntity).set(changes as QueryDeepPartialEntity<WebhookSubscriptionEntity>).where('subscription_id = :id', { id: subscription_id }).execute();
        if ((result.affected ?? 0) === 0) return false;
        await keepBucket(manager, copy);
        return true;
      }),
    );
    return updated ? copy : null;
  }

  async delete(id: string): Promise<boolean> {
    const result = await this.run((ds) =>
      ds.transaction(async (manager) => {
        await manager.createQueryBuilder().delete().from(WebhookRateLimitEntity).where('subscription_id = :id', { id }).execute();
        return manager.createQueryBuilder().delete().from(WebhookSubscriptionEntity).where('subscription_id = :id', { id }).execute();
      }),
    );
    return (result.affected ?? 0) > 0;
  }

  /** The active and tenant filters of a list or count query. */
  private filtered(ds: DataSource, query: SubscriptionListQuery): SelectQueryBuilder<WebhookSubscriptionEntity> {
    const qb = ds.getRepository(WebhookSubscriptionEntity).createQueryBuilder('s');
    const active = query.active ?? ((query.active_only ?? true) ? true : undefined);
    if (active !== undefined) qb.andWhere('s.active = :active', { active });
    if (query.tenant_id !== undefined) qb.andWhere('s.tenant_id = :tenant', { tenant: query.tenant_id });
    return qb;
  }

  /** Runs one operation as the database's dialect runs them (on SQLite: one at a time per DataSource). */
  private run<T>(fn: (ds: DataSource) => Promise<T>): Promise<T> {
    return this.ctx.run((ds) => fn(ds));
  }
}

/**
 * A rate-limited subscription has a bucket row (made empty, kept across changes of the limit) and no other
 * subscription has one: general claims leave the subscriptions with a bucket to the rate-limited claim.
 */
async function keepBucket(manager: EntityManager, sub: WebhookSubscription): Promise<void> {
  if (sub.rate_limit_per_second == null) {
    await manager.createQueryBuilder().delete().from(WebhookRateLimitEntity).where('subscription_id = :id', { id: sub.subscription_id }).execute();
  } else {
    await manager.createQueryBuilder().insert().into(WebhookRateLimitEntity).values({ subscription_id: sub.subscription_id, tat_us: 0 }).orIgnore().updateEntity(false).execute();
  }
}

function toRow(sub: WebhookSubscription): WebhookSubscriptionEntity {
  return {
    subscription_id: sub.subscription_id,
    url: sub.url,
    secret: sub.secret,
    event_types: sub.event_types,
    active: sub.active,
    description: sub.description ?? null,
    tenant_id: sub.tenant_id ?? null,
    created_at: sub.created_at,
    metadata: sub.metadata ?? {},
    previous_secret: sub.previous_secret ?? null,
    previous_secret_expires_at: sub.previous_secret_expires_at ?? null,
    disabled_reason: sub.disabled_reason ?? null,
    headers: sub.headers && Object.keys(sub.headers).length > 0 ? sub.headers : null,
    filter: sub.filter ?? null,
    retry_max_attempts: sub.retry_max_attempts ?? null,
    delivery_timeout_seconds: sub.delivery_timeout_seconds ?? null,
    max_concurrent_per_endpoint: sub.max_concurrent_per_endpoint ?? null,
    rate_limit_per_second: sub.rate_limit_per_second ?? null,
  };
}

function fromRow(row: WebhookSubscriptionEntity): WebhookSubscription {
  return {
    subscription_id: row.subscription_id,
    url: row.url,
    secret: row.secret,
    event_types: row.event_types ?? null,
    active: Boolean(row.active),
    description: row.description ?? null,
    tenant_id: row.tenant_id ?? null,
    created_at: row.created_at,
    metadata: row.metadata ?? {},
    previous_secret: row.previous_secret ?? null,
    previous_secret_expires_at: row.previous_secret_expires_at ?? null,
    disabled_reason: row.disabled_reason ?? null,
    headers: row.headers ?? {},
    filter: row.filter ?? null,
    retry_max_attempts: row.retry_max_attempts ?? null,
    // Drivers may return a numeric column as a string.
    delivery_timeout_seconds: row.delivery_timeout_seconds == null ? null : Number(row.delivery_timeout_seconds),
    max_concurrent_per_endpoint: row.max_concurrent_per_endpoint ?? null,
    rate_limit_per_second: row.rate_limit_per_second ?? null,
  };
}
