import type { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { emissionIntervalUs, nextTokenUs, tatAfter, tokensAvailable, type RateBucket } from '../../../domain/rate-limit';
import type { RateLimitedClaim } from '../../../domain/delivery-queue';
import type { ClaimedDelivery } from '../../../domain/types';
import { WebhookDeliveryEntity } from '../webhook-delivery.entity';
import { WebhookRateLimitEntity } from '../webhook-rate-limit.entity';
import { WebhookSubscriptionEntity } from '../webhook-subscription.entity';
import { loadClaimed, whereDue } from './claim-query';
import type { ClaimRequest } from './queue-dialect';

/** Most rate-limited subscriptions one claim looks at. */
const MAX_CANDIDATES = 1000;

/** Runs `fn` in the transaction a dialect takes tokens in. */
export type InTransaction = (fn: (manager: EntityManager) => Promise<ClaimedDelivery[]>) => Promise<ClaimedDelivery[]>;

interface Candidate {
  id: string;
  bucket: RateBucket;
}

/**
 * The claim of rate-limited subscriptions' deliveries, the same on every database but for the locks:
 * 1. one query, without locks: the rate-limited subscriptions that have due deliveries, with their limit and
 *    bucket. Those without a token now only tell when the next comes; with none ready, that is all it costs.
 * 2. in `transaction`: the ready buckets are read again, locked (`lock`: `FOR UPDATE SKIP LOCKED`, so a bucket
 *    another replica is taking from is left to it, and it is tried again one interval later); each grants tokens
 *    (`RateBucket`), as many of its due deliveries as it granted are leased oldest first, and the bucket is
 *    written back with the tokens actually used. Bucket and leases commit together: all replicas share one bucket.
 * Without `lock` (SQLite: one writer at a time) the transaction alone keeps this atomic.
 */
export async function claimRateLimited(ds: DataSource, request: ClaimRequest, transaction: InTransaction, lock: boolean): Promise<RateLimitedClaim> {
  const nowUs = request.now.getTime() * 1000;
  let next = Infinity;
  const ready: Candidate[] = [];
  for (const c of await candidates(ds, request)) {
    if (tokensAvailable(c.bucket, nowUs, 1) > 0) ready.push(c);
    else next = Math.min(next, nextTokenUs(c.bucket, nowUs));
  }
  if (ready.length === 0) return { claimed: [], next_at: toDate(next) };
  const claimed = await transaction(async (manager) => {
    const tats = await lockedBuckets(manager, ready, lock);
    const ids: string[] = [];
    for (const c of ready) {
      const tat = tats.get(c.id);
      if (tat === undefined) {
        // Another claimer holds the bucket: look again one interval later.
        next = Math.min(next, nowUs + emissionIntervalUs(c.bucket.per_second));
        continue;
      }
      const want = Math.min(capOf(request, c.id), request.limit - ids.length);
      if (want <= 0) {
        next = nowUs;
        break;
      }
      const bucket: RateBucket = { per_second: c.bucket.per_second, tat_us: tat };
      const granted = tokensAvailable(bucket, nowUs, want);
      const taken = granted > 0 ? await dueIds(manager, request, c.id, granted, lock) : [];
      ids.push(...taken);
      if (taken.length > 0) {
        bucket.tat_us = tatAfter(bucket, nowUs, taken.length);
        await manager.createQueryBuilder().update(WebhookRateLimitEntity).set({ tat_us: bucket.tat_us }).where('subscription_id = :id', { id: c.id }).execute();
      }
      // It may have more due: its next token is when to come back.
      if (taken.length === granted) next = Math.min(next, nextTokenUs(bucket, nowUs));
    }
    if (ids.length === 0) return [];
    await manager.createQueryBuilder().update(WebhookDeliveryEntity).set(request.lease).where('delivery_id IN (:...ids)', { ids }).execute();
    return loadClaimed(manager, ids);
  });
  return { claimed, next_at: toDate(next) };
}

/** Rate-limited subscriptions (not excluded) with due deliveries, most starved first. */
async function candidates(ds: DataSource, request: ClaimRequest): Promise<Candidate[]> {
  const due = whereDue(ds.getRepository(WebhookDeliveryEntity).createQueryBuilder('d').select('1'), 'd', request).andWhere('d.subscription_id = b.subscription_id');
  const qb = ds
    .getRepository(WebhookRateLimitEntity)
    .createQueryBuilder('b')
    .innerJoin(WebhookSubscriptionEntity, 's', 's.subscription_id = b.subscription_id')
    .select('b.subscription_id', 'id')
    .addSelect('b.tat_us', 'tat')
    .addSelect('s.rate_limit_per_second', 'rate')
    .where('s.rate_limit_per_second IS NOT NULL')
    .andWhere(`EXISTS (${due.getQuery()})`)
    .setParameters(due.getParameters())
    .orderBy('b.tat_us', 'ASC')
    .limit(MAX_CANDIDATES);
  if (request.excluded) qb.andWhere('b.subscription_id NOT IN (:...excluded)', { excluded: request.excluded });
  const rows = await qb.getRawMany<{ id: string; tat: string | number; rate: string | number }>();
  return rows.map((r) => ({ id: r.id, bucket: { per_second: Number(r.rate), tat_us: Number(r.tat) } }));
}

/** The buckets of `ready` as they are now, locked for this transaction (those another claimer holds are missing). */
async function lockedBuckets(manager: EntityManager, ready: Candidate[], lock: boolean): Promise<Map<string, number>> {
  const qb = manager
    .getRepository(WebhookRateLimitEntity)
    .createQueryBuilder('b')
    .select('b.subscription_id', 'id')
    .addSelect('b.tat_us', 'tat')
    .where('b.subscription_id IN (:...ids)', { ids: ready.map((c) => c.id) });
  const rows = await locking(qb, lock).getRawMany<{ id: string; tat: string | number }>();
  return new Map(rows.map((r) => [r.id, Number(r.tat)]));
}

/** Up to `n` due deliveries of one subscription, oldest first, locked (skipping rows another claimer holds). */
async function dueIds(manager: EntityManager, request: ClaimRequest, subscriptionId: string, n: number, lock: boolean): Promise<string[]> {
  const qb = whereDue(manager.getRepository(WebhookDeliveryEntity).createQueryBuilder('d').select('d.delivery_id', 'delivery_id'), 'd', request)
    .andWhere('d.subscription_id = :sub', { sub: subscriptionId })
    .orderBy('d.next_attempt_at', 'ASC')
    .addOrderBy('d.delivery_id', 'ASC')
    .limit(n);
  return (await locking(qb, lock).getRawMany<{ delivery_id: string }>()).map((r) => r.delivery_id);
}

function locking<T extends object>(qb: SelectQueryBuilder<T>, lock: boolean): SelectQueryBuilder<T> {
  return lock ? qb.setLock('pessimistic_write').setOnLocked('skip_locked') : qb;
}

/** Most deliveries of one subscription this claim may take. */
function capOf(request: ClaimRequest, subscriptionId: string): number {
  return request.limits?.find(([id]) => id === subscriptionId)?.[1] ?? request.per_subscription ?? request.limit;
}

function toDate(us: number): Date | null {
  return us === Infinity ? null : new Date(Math.ceil(us / 1000));
}
