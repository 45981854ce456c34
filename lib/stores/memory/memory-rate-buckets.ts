import { nextTokenUs, tatAfter, tokensAvailable, type RateBucket } from '../../domain/rate-limit';
import type { ClaimOptions } from '../../domain/stores';
import type { MemoryDueIndex } from './memory-due-index';

/**
 * The memory store's rate limits: each rate-limited subscription's bucket (see `RateBucket`), for the claims of
 * this one process (a memory store has no other replica to share them with).
 */
export class MemoryRateBuckets {
  private readonly tats = new Map<string, number>();

  constructor(
    /** The subscriptions' `rate_limit_per_second`, live (`MemorySubscriptionStore.rateLimits`). */
    readonly limits: ReadonlyMap<string, number>,
  ) {}

  /**
   * Offers to `lease` the due deliveries of each rate-limited subscription (not excluded) that its bucket has
   * tokens for, at most the claim's limits; returns when the next token of one still holding due work comes.
   */
  claim(due: MemoryDueIndex, options: ClaimOptions, lease: (deliveryId: string) => boolean): Date | null {
    const now = options.now.getTime();
    const nowUs = now * 1000;
    const excluded = new Set(options.exclude_subscription_ids ?? []);
    let claimed = 0;
    let next = Infinity;
    for (const [id, perSecond] of this.limits) {
      if (excluded.has(id) || !due.hasDue(id, now)) continue;
      if (claimed >= options.limit) {
        // Full: the others may have tokens now.
        next = nowUs;
        break;
      }
      const bucket: RateBucket = { per_second: perSecond, tat_us: this.tats.get(id) ?? 0 };
      const cap = options.per_subscription_limits?.get(id) ?? options.per_subscription_limit ?? Infinity;
      const granted = tokensAvailable(bucket, nowUs, Math.min(cap, options.limit - claimed));
      const taken = granted > 0 ? due.claimFrom(id, now, granted, lease) : 0;
      claimed += taken;
      bucket.tat_us = tatAfter(bucket, nowUs, taken);
      this.tats.set(id, bucket.tat_us);
      if (due.hasDue(id, now)) next = Math.min(next, nextTokenUs(bucket, nowUs));
    }
    return next === Infinity ? null : new Date(Math.ceil(next / 1000));
  }
}
