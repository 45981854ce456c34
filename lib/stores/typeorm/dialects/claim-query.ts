import { In, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import type { ClaimedDelivery, StoredEvent } from '../../../domain/types';
import { copyEvent, deliveryFromRow } from '../typeorm-rows';
import { chunks, quotedTable } from '../typeorm.utils';
import { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { WebhookEventEntity } from '../webhook-event.entity';
import { WebhookRateLimitEntity } from '../webhook-rate-limit.entity';
import type { ClaimRequest } from './queue-dialect';

/** A fair claim considers at most this many times `limit` of the oldest due rows... */
const CLAIM_WINDOW_FACTOR = 10;
/** ...and never more than this many. */
const CLAIM_WINDOW_MAX = 5000;

/**
 * How a dialect says "`idColumn` is one of the ids `chosenSql` selects": `chosenSql` ends with a LIMIT, which
 * not every database accepts directly inside `IN (...)`.
 */
export type AmongChosen = (idColumn: string, chosenSql: string) => string;

/**
 * SELECT of the ids of the deliveries a claim takes (`alias.delivery_id AS delivery_id`): pending, due, not
 * leased (or lease expired), not excluded; the `limit` oldest due, or with `per_subscription` the fair pick.
 * Each dialect adds its own locking and leasing around it.
 */
export function dueQuery(manager: EntityManager, alias: string, request: ClaimRequest, amongChosen: AmongChosen): SelectQueryBuilder<WebhookDeliveryEntity> {
  const { limit, per_subscription: perSubscription } = request;
  const repo = manager.getRepository(WebhookDeliveryEntity);
  const qb = whereNotRateLimited(whereDue(repo.createQueryBuilder(alias).select(`${alias}.delivery_id`, 'delivery_id'), alias, request), alias);
  if (perSubscription === null) return qb.orderBy(`${alias}.next_attempt_at`, 'ASC').limit(limit);
  // Fairness: of the oldest due rows (a bounded window), at most `perSubscription` per subscription. Window
  // functions cannot sit in a locking SELECT, so they pick candidate ids in a subquery.
  const window = whereNotRateLimited(
    whereDue(repo.createQueryBuilder('c').select('c.delivery_id', 'cid').addSelect('c.subscription_id', 'csub').addSelect('c.next_attempt_at', 'cat'), 'c', request),
    'c',
  )
    .orderBy('c.next_attempt_at', 'ASC')
    .limit(Math.min(limit * CLAIM_WINDOW_FACTOR, CLAIM_WINDOW_MAX));
  // The `limit` oldest candidates, fetched by primary key. With the ORDER BY ... LIMIT on the outer query
  // instead, a planner walks the whole due index looking for a LIMIT's worth of matches that the
  // per-subscription limit never lets it find: measured on PostgreSQL, 100+ ms per claim with 4,000 due
  // rows of one subscription, against 3 ms this way.
  const { cap, params } = perSubscriptionCap(request.limits);
  const chosen = `SELECT r.cid FROM (SELECT w.csub, w.cid, w.cat, ROW_NUMBER() OVER (PARTITION BY w.csub ORDER BY w.cat, w.cid) AS rn FROM (${window.getQuery()}) w) r WHERE r.rn <= ${cap} ORDER BY r.cat, r.cid LIMIT :limit`;
  return qb.andWhere(amongChosen(`${alias}.delivery_id`, chosen), { perSubscription, limit, ...params });
}

/** The fair claim's per-subscription bound: `:perSubscription`, or a CASE giving the listed subscriptions theirs. */
function perSubscriptionCap(limits: ClaimRequest['limits']): { cap: string; params: Record<string, unknown> } {
  if (!limits?.length) return { cap: ':perSubscription', params: {} };
  const params: Record<string, unknown> = {};
  const whens = limits.map(([id, n], i) => {
    params[`capSub${i}`] = id;
    // An integer literal (the claim request holds integers): a parameter would be text to PostgreSQL here.
    return `WHEN :capSub${i} THEN ${Math.trunc(n)}`;
  });
  return { cap: `CASE r.csub ${whens.join(' ')} ELSE :perSubscription END`, params };
}

/**
 * Leaves out rate-limited subscriptions (a bucket row): only `claimRateLimited` takes their deliveries. Written
 * as `NOT IN (subquery)`, which the databases evaluate once into a set tested per row (PostgreSQL: a hashed
 * subplan), so the claim keeps its plan (the due index read in order, stopping at the window's LIMIT). A
 * `NOT EXISTS` became an anti-join that PostgreSQL costs as filtering nearly everything, and it then scanned the
 * whole table: measured 3 ms against 27 ms per claim with 4,000 due rows.
 */
function whereNotRateLimited<Q extends SelectQueryBuilder<WebhookDeliveryEntity>>(qb: Q, alias: string): Q {
  const conn = qb.connection;
  const column = conn.driver.escape(conn.getMetadata(WebhookRateLimitEntity).findColumnWithPropertyName('subscription_id')!.databaseName);
  return qb.andWhere(`${alias}.subscription_id NOT IN (SELECT rl.${column} FROM ${quotedTable(conn, WebhookRateLimitEntity)} rl)`);
}

/** Pending, due, not leased (or lease expired), in its lane's turn, not excluded. */
export function whereDue<Q extends SelectQueryBuilder<WebhookDeliveryEntity>>(qb: Q, alias: string, request: Pick<ClaimRequest, 'now' | 'excluded'>): Q {
  const { now, excluded } = request;
  qb.where(`${alias}.status = :pending`, { pending: 'pending' })
    .andWhere(`${alias}.next_attempt_at <= :now`, { now })
    .andWhere(`(${alias}.locked_until IS NULL OR ${alias}.locked_until <= :now)`, { now })
    .andWhere(inItsTurn(qb, alias));
  if (excluded) qb.andWhere(`${alias}.subscription_id NOT IN (:...excluded)`, { excluded });
  return qb;
}

/**
 * An unordered delivery, or a laned one whose turn it is: no other pending delivery of its lane was enqueued
 * before it (a lower `lane_seq`) or is leased (a redelivered one waits for the one in flight). Each laned row
 * costs one probe of `IDX_webhook_deliveries_lane`, which holds only pending laned rows (a partial index; on MySQL and
 * MariaDB, which have none, every laned row).
 * Uses the `:pending` and `:now` parameters of {@link whereDue}.
 */
function inItsTurn(qb: SelectQueryBuilder<WebhookDeliveryEntity>, alias: string): string {
  const conn = qb.connection;
  const meta = conn.getMetadata(WebhookDeliveryEntity);
  const col = (name: keyof WebhookDeliveryEntity) => conn.driver.escape(meta.findColumnWithPropertyName(name)!.databaseName);
  const mine = (name: keyof WebhookDeliveryEntity) => `${conn.driver.escape(alias)}.${col(name)}`;
  return (
    `(${mine('lane_key')} IS NULL OR NOT EXISTS (SELECT 1 FROM ${quotedTable(conn, WebhookDeliveryEntity)} lp ` +
    `WHERE lp.${col('subscription_id')} = ${mine('subscription_id')} AND lp.${col('lane_key')} = ${mine('lane_key')} AND lp.${col('status')} = :pending ` +
    `AND lp.${col('delivery_id')} <> ${mine('delivery_id')} AND (lp.${col('lane_seq')} < ${mine('lane_seq')} OR lp.${col('locked_until')} > :now)))`
  );
}

/** The leased deliveries `ids` with their events, oldest due first (ties in the order of `ids`). */
export async function loadClaimed(manager: EntityManager, ids: string[]): Promise<ClaimedDelivery[]> {
  if (ids.length === 0) return [];
  const rows: WebhookDeliveryEntity[] = [];
  for (const part of chunks(ids)) rows.push(...(await manager.getRepository(WebhookDeliveryEntity).findBy({ delivery_id: In(part) })));
  const eventIds = [...new Set(rows.map((r) => r.event_id))];
  const events = new Map<string, StoredEvent>();
  for (const part of chunks(eventIds)) {
    for (const e of await manager.getRepository(WebhookEventEntity).findBy({ event_id: In(part) })) events.set(e.event_id, copyEvent(e));
  }
  const order = new Map(ids.map((id, i) => [id, i]));
  rows.sort((a, b) => a.next_attempt_at.getTime() - b.next_attempt_at.getTime() || order.get(a.delivery_id)! - order.get(b.delivery_id)!);
  const claimed: ClaimedDelivery[] = [];
  for (const row of rows) {
    const event = events.get(row.event_id);
    if (event) claimed.push({ delivery: deliveryFromRow(row), event });
  }
  return claimed;
}
