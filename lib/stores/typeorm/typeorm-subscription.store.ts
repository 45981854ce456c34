import { Injectable } from '@nestjs/common';
import { In, type DataSource, type EntityManager, type QueryDeepPartialEntity, type SelectQueryBuilder } from 'typeorm';
import { eventTypeMatches } from '../../domain/event-type';
import { indexEntryOf } from '../../domain/subscription-index';
import type { SubscriptionChange, SubscriptionIndexEntry, SubscriptionListQuery, WebhookSubscriptionStore } from '../../domain/stores';
import type { WebhookSubscription } from '../../domain/types';
import { InvalidSubscriptionError } from '../../domain/webhook.error';
import { SecretCipher } from '../../security/secret-cipher';
import { cloneSubscription, pageBounds } from '../store.utils';
import { WebhookDataSourceRef } from './data-source.ref';
import { TypeOrmStoreContext } from './store-context';
import { SubscriptionChanges } from './subscription-changes';
import { openSubscriptionRow, reencryptSubscriptionSecrets, sealSubscriptionRow } from './subscription-secrets';
import { fromSubscriptionRow, toSubscriptionRow } from './typeorm-rows';
import { isUniqueViolation } from './dialects/driver-errors';
import { runStatement, textFor, type SqlStatement } from './dialects/sql-statement';
import type { SqlDialect } from './dialects/sql-dialect';
import { chunks, escapeLike } from './typeorm.utils';
import { WebhookRateLimitEntity } from './webhook-rate-limit.entity';
import { WebhookSubscriptionEntity } from './webhook-subscription.entity';

/** Rows read per round trip while filtering by event type in process. */
const SCAN_BATCH = 500;
/** Subscriptions per multi-row INSERT (12 parameters each). */
const SUBSCRIPTIONS_PER_INSERT = 500;

/**
 * Subscriptions in the host app's SQL database (table `webhook_subscriptions`) through TypeORM: PostgreSQL,
 * MySQL/MariaDB or SQLite (better-sqlite3). Same semantics as `MemorySubscriptionStore`. Every write also logs a
 * change row in the same transaction (see {@link SubscriptionChanges}), which other processes follow. With a
 * {@link SecretCipher} of keys (`secret_encryption_keys`), secrets and header values are stored encrypted.
 */
@Injectable()
export class TypeOrmSubscriptionStore implements WebhookSubscriptionStore {
  private readonly ctx: TypeOrmStoreContext;
  private readonly changes: SubscriptionChanges;

  constructor(
    ref: WebhookDataSourceRef,
    /** Encrypts secrets and header values at rest (default: none, stored as given). */
    private readonly cipher: SecretCipher = new SecretCipher([]),
  ) {
    this.ctx = new TypeOrmStoreContext(ref);
    this.changes = new SubscriptionChanges(this.ctx);
  }

  async create(sub: WebhookSubscription): Promise<WebhookSubscription> {
    return (await this.createMany([sub]))[0];
  }

  async createMany(subs: readonly WebhookSubscription[]): Promise<WebhookSubscription[]> {
    const copies = subs.map(cloneSubscription);
    const seen = new Set<string>();
    for (const s of copies) {
      if (seen.has(s.subscription_id)) throw new InvalidSubscriptionError(`subscription ${s.subscription_id} already exists`);
      seen.add(s.subscription_id);
    }
    if (copies.length === 0) return [];
    try {
      await this.changes.write(async (manager) => {
        for (const part of chunks([...seen])) {
          const existing = await manager.getRepository(WebhookSubscriptionEntity).findOne({ select: { subscription_id: true }, where: { subscription_id: In(part) } });
          if (existing) throw new InvalidSubscriptionError(`subscription ${existing.subscription_id} already exists`);
        }
        for (const part of chunks(copies, SUBSCRIPTIONS_PER_INSERT)) {
          await manager.createQueryBuilder().insert().into(WebhookSubscriptionEntity).values(part.map((s) => this.toRow(s)) as QueryDeepPartialEntity<WebhookSubscriptionEntity>[]).updateEntity(false).execute();
        }
        for (const s of copies) if (s.rate_limit_per_second != null) await keepBucket(manager, s);
        return copies.map((s) => s.subscription_id);
      });
    } catch (error) {
      // Created concurrently between the check and the insert.
      if (isUniqueViolation(error)) throw new InvalidSubscriptionError(`subscription ${copies.length === 1 ? copies[0].subscription_id : 'in this batch'} already exists`);
      throw error;
    }
    return copies;
  }

  async get(id: string): Promise<WebhookSubscription | null> {
    const row = await this.ctx.run((ds) => ds.getRepository(WebhookSubscriptionEntity).findOneBy({ subscription_id: id }));
    return row ? this.fromRow(row) : null;
  }

  /**
   * The sends' read of the records not kept in memory (`SubscriptionCache`, one read per tick): a statement whose
   * column list is written once per DataSource, its rows hydrated column by column as TypeORM hydrates an entity.
   * Through `findBy`, TypeORM built the query anew on every call and mapped its aliased columns back: at 1,000,000
   * subscriptions, where most sends read first, a CPU profile of 2,000 dispatches gave TypeORM 594 ms of self time
   * that way, and 117 ms this way (issue 22).
   */
  async getMany(ids: readonly string[]): Promise<WebhookSubscription[]> {
    if (ids.length === 0) return [];
    return this.ctx.run(async (ds, dialect) => {
      const out: WebhookSubscription[] = [];
      for (const part of chunks([...new Set(ids)])) {
        const rows = await runStatement<Record<string, unknown>[]>(ds, subscriptionsByIds(ds, dialect.name, part));
        for (const raw of rows) out.push(this.fromRow(hydratedRow(ds, raw)));
      }
      return out;
    });
  }

  async list(query: SubscriptionListQuery = {}): Promise<WebhookSubscription[]> {
    const { limit, offset } = pageBounds(query);
    if (limit === 0) return [];
    return this.ctx.run(async (ds) => {
      const base = this.filtered(ds, query).orderBy('s.created_at', 'ASC').addOrderBy('s.subscription_id', 'ASC');
      if (query.after) {
        base.andWhere('(s.created_at > :afterAt OR (s.created_at = :afterAt AND s.subscription_id > :afterId))', { afterAt: query.after.created_at, afterId: query.after.subscription_id });
      }
      const eventType = query.event_type;
      if (eventType === undefined) return (await base.offset(offset).limit(limit).getMany()).map((row) => this.fromRow(row));
      return this.scanMatching(base, eventType, offset, limit);
    });
  }

  async count(query: Pick<SubscriptionListQuery, 'active' | 'tenant_id'> = {}): Promise<number> {
    return this.ctx.run((ds) => this.filtered(ds, { active: query.active, tenant_id: query.tenant_id, active_only: false }).getCount());
  }

  async update(sub: WebhookSubscription): Promise<WebhookSubscription | null> {
    const copy = cloneSubscription(sub);
    const { subscription_id, ...changes } = this.toRow(copy);
    const updated = await this.changes.write(async (manager) => {
      const result = await manager.createQueryBuilder().update(WebhookSubscriptionEntity).set(changes as QueryDeepPartialEntity<WebhookSubscriptionEntity>).where('subscription_id = :id', { id: subscription_id }).execute();
      if ((result.affected ?? 0) === 0) return [];
      await keepBucket(manager, copy);
      return [subscription_id];
    });
    return updated.length > 0 ? copy : null;
  }

  async delete(id: string): Promise<boolean> {
    const deleted = await this.changes.write(async (manager) => {
      await manager.createQueryBuilder().delete().from(WebhookRateLimitEntity).where('subscription_id = :id', { id }).execute();
      const result = await manager.createQueryBuilder().delete().from(WebhookSubscriptionEntity).where('subscription_id = :id', { id }).execute();
      return (result.affected ?? 0) > 0 ? [id] : [];
    });
    return deleted.length > 0;
  }

  async match(query: { event_type: string; tenant_id: string | null }): Promise<WebhookSubscription[]> {
    return this.ctx.run(async (ds) => {
      const active = this.filtered(ds, { active: true, tenant_id: query.tenant_id ?? undefined });
      // A tenant's subscriptions come from the tenant index; without a tenant every active subscription may match.
      if (query.tenant_id !== null) return (await active.getMany()).filter((row) => eventTypeMatches(row.event_types, query.event_type)).map((row) => this.fromRow(row));
      return this.scanMatching(active.orderBy('s.subscription_id', 'ASC'), query.event_type, 0, Infinity);
    });
  }

  async scanActive(after: string | null, limit: number): Promise<SubscriptionIndexEntry[]> {
    return this.ctx.run(async (ds) => {
      const qb = this.entries(ds).where('s.active = :active', { active: true }).orderBy('s.subscription_id', 'ASC').limit(limit);
      if (after !== null) qb.andWhere('s.subscription_id > :after', { after });
      return (await qb.getMany()).map(indexEntryOf);
    });
  }

  async activeEntries(ids: readonly string[]): Promise<SubscriptionIndexEntry[]> {
    if (ids.length === 0) return [];
    return this.ctx.run(async (ds) => {
      const out: SubscriptionIndexEntry[] = [];
      for (const part of chunks([...new Set(ids)])) {
        const rows = await this.entries(ds).where('s.active = :active', { active: true }).andWhere('s.subscription_id IN (:...part)', { part }).getMany();
        out.push(...rows.map(indexEntryOf));
      }
      return out;
    });
  }

  changesSince(after: number, limit: number): Promise<SubscriptionChange[]> {
    return this.changes.since(after, limit);
  }

  lastChangeId(): Promise<number> {
    return this.changes.lastId();
  }

  purgeChanges(before: Date): Promise<number> {
    return this.changes.purge(before);
  }

  /** Re-encrypts every row holding plaintext or another key's value with the first key; how many were rewritten. */
  reencryptSecrets(): Promise<number> {
    return reencryptSubscriptionSecrets(this.ctx, this.cipher);
  }

  /** A subscription as its row is written (secrets and headers sealed when there are keys). */
  private toRow(sub: WebhookSubscription): WebhookSubscriptionEntity {
    return sealSubscriptionRow(toSubscriptionRow(sub), this.cipher);
  }

  /** A row as the subscription (sealed values opened; a `SecretDecryptionError` when one cannot be). */
  private fromRow(row: WebhookSubscriptionEntity): WebhookSubscription {
    return fromSubscriptionRow(openSubscriptionRow(row, this.cipher));
  }

  /** Pages `base` (ordered), keeping the rows that receive `eventType` (SQL narrows, `eventTypeMatches` decides). */
  private async scanMatching(base: SelectQueryBuilder<WebhookSubscriptionEntity>, eventType: string, offset: number, limit: number): Promise<WebhookSubscription[]> {
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
        else out.push(this.fromRow(row));
        if (out.length >= limit) return out;
      }
      if (rows.length < SCAN_BATCH) return out;
    }
  }

  /** A query of index entries only (see `SubscriptionIndexEntry`). */
  private entries(ds: DataSource | EntityManager): SelectQueryBuilder<WebhookSubscriptionEntity> {
    return ds
      .getRepository(WebhookSubscriptionEntity)
      .createQueryBuilder('s')
      .select(['s.subscription_id', 's.tenant_id', 's.event_types', 's.filter', 's.max_concurrent_per_endpoint', 's.rate_limit_per_second', 's.ordered']);
  }

  /** The active and tenant filters of a list or count query. */
  private filtered(ds: DataSource, query: SubscriptionListQuery): SelectQueryBuilder<WebhookSubscriptionEntity> {
    const qb = ds.getRepository(WebhookSubscriptionEntity).createQueryBuilder('s');
    const active = query.active ?? ((query.active_only ?? true) ? true : undefined);
    if (active !== undefined) qb.andWhere('s.active = :active', { active });
    if (query.tenant_id !== undefined) qb.andWhere('s.tenant_id = :tenant', { tenant: query.tenant_id });
    return qb;
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

/** Every column of a subscription row, selected by `ids` (PostgreSQL: one array parameter; else one `?` each). */
function subscriptionsByIds(ds: DataSource, dialect: SqlDialect, ids: string[]): SqlStatement {
  const select = textFor(ds, 'subscriptions.by-id', (names) => {
    const columns = ds
      .getMetadata(WebhookSubscriptionEntity)
      .columns.map((c) => ds.driver.escape(c.databaseName))
      .join(', ');
    return `SELECT ${columns} FROM ${names.table(WebhookSubscriptionEntity)} WHERE ${names.columns(WebhookSubscriptionEntity)('subscription_id')}`;
  });
  if (dialect === 'postgres') return { text: `${select} = ANY($1)`, values: [ids] };
  return { text: `${select} IN (${'?, '.repeat(ids.length - 1)}?)`, values: ids };
}

/** A raw row of every subscription column as TypeORM hydrates it (booleans, simple-json, dates, per driver). */
function hydratedRow(ds: DataSource, raw: Record<string, unknown>): WebhookSubscriptionEntity {
  const row: Record<string, unknown> = {};
  for (const column of ds.getMetadata(WebhookSubscriptionEntity).columns) row[column.propertyName] = ds.driver.prepareHydratedValue(raw[column.databaseName], column);
  return row as unknown as WebhookSubscriptionEntity;
}
