import type { DeliveryQueue } from '../../domain/stores';
import type { ClaimedDelivery } from '../../domain/types';
import type { Capacity } from './capacity';
import type { ClaimPlanner } from './claim-planner';
import type { Clock } from './clock';
import type { Held } from './held';
import type { RateLimitedClaims } from './rate-limited-claims';

/** What a {@link ClaimStep} works with. */
export interface ClaimStepParts {
  queue: Pick<DeliveryQueue, 'claimDue' | 'claimRateLimited'>;
  capacity: Capacity<Held>;
  planner: ClaimPlanner;
  rateLimited: RateLimitedClaims;
  workerId: string;
  leaseMs: number;
  /** Most deliveries per claim (`claim_batch_size`). */
  batchSize: number;
  clock: Clock;
  /** Starts held deliveries while there are slots. */
  startHeld(): void;
  /** Holds claimed deliveries for a send slot. */
  hold(claimed: ClaimedDelivery[]): Promise<void>;
}

/**
 * One step of the claim loop: the claim the {@link ClaimPlanner} finds worth making (`claimDue`), then, when
 * {@link RateLimitedClaims} says so, the claim of rate-limited subscriptions (`claimRateLimited`), each within the
 * room and the per-subscription shares {@link Capacity} leaves.
 */
export class ClaimStep {
  constructor(private readonly parts: ClaimStepParts) {}

  /** Resolves true when the general claim came back full (there may be more right away). */
  async run(): Promise<boolean> {
    const p = this.parts;
    p.startHeld();
    let full = false;
    const plan = p.planner.plan(p.capacity);
    if (plan) {
      const claimed = await p.queue.claimDue({
        worker_id: p.workerId,
        limit: plan.limit,
        lease_ms: p.leaseMs,
        now: new Date(p.clock.now()),
        exclude_subscription_ids: plan.exclude,
        per_subscription_limit: plan.perSubscription,
        per_subscription_limits: plan.perSubscriptionLimits,
      });
      full = p.planner.claimed(plan, claimed);
      if (claimed.length > 0) await p.hold(claimed);
    }
    if (p.rateLimited.due && p.capacity.freeRoom > 0) await this.claimRateLimited();
    return full;
  }

  private async claimRateLimited(): Promise<void> {
    const p = this.parts;
    const generation = p.rateLimited.begin();
    const result = await p.queue.claimRateLimited({
      worker_id: p.workerId,
      limit: Math.min(p.batchSize, p.capacity.freeRoom),
      lease_ms: p.leaseMs,
      now: new Date(p.clock.now()),
      exclude_subscription_ids: p.capacity.saturatedSubscriptions(),
      per_subscription_limit: p.capacity.claimShare,
      per_subscription_limits: p.capacity.claimShares(),
    });
    p.rateLimited.claimed(generation, result.next_at);
    if (result.claimed.length > 0) await p.hold(result.claimed);
  }
}
