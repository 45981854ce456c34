import type { ClaimedDelivery } from '../../domain/types';
import type { Capacity } from './capacity';

/** One claim to make: the arguments of `claimDue`, and what the planner needs to learn from its answer. */
export interface ClaimPlan {
  /** Number of this claim (increasing). */
  readonly claim: number;
  readonly limit: number;
  /** Subscriptions left out (saturated here). */
  readonly exclude: readonly string[];
  /** Most deliveries of one subscription in this claim... */
  readonly perSubscription: number;
  /** ...but for the subscriptions with their own share. */
  readonly perSubscriptionLimits: ReadonlyMap<string, number> | undefined;
  /** Made after a wake: the store may hold anything, including due work of the excluded subscriptions. */
  readonly woken: boolean;
}

/** Settings of a {@link ClaimPlanner}. */
export interface ClaimPlannerOptions {
  /** Most deliveries per claim (`claim_batch_size`). */
  batchSize: number;
  /** Fewest free slots worth a claim while other work is in flight (a claim per freed slot would cost a query per delivery). */
  minClaim: number;
}

/**
 * Decides when a claim is worth making, and with what limits, from what this process knows about the store:
 * - *unknown work*: a wake (start-up, a poll tick, a redelivery, a retry timer) said due work may exist that no
 *   claim has looked for yet;
 * - *backlogs*: subscriptions that may have due deliveries waiting in the store, noted with the number of the
 *   claim after which that became known: a claim gave them their full share, a wake's claim had to skip them, or
 *   `dispatch()` could not hand their fresh deliveries over. While noted, hand-offs to them stop at their cap
 *   (see `Capacity.canReserve`), so claims drain the backlog however fast new deliveries come;
 * - *exhausted*: the last claim came back short, so the store had nothing more due but for the subscriptions
 *   it skipped or limited. Until something changes, another claim would come back empty.
 * Pure: no I/O, no timers.
 */
export class ClaimPlanner {
  private unknownWork = true;
  private claims = 0;
  private exhaustedWith: readonly string[] | null = null;
  private readonly backlogs = new Map<string, number>();

  constructor(private readonly options: ClaimPlannerOptions) {}

  /** Due work may be in the store that no claim has looked for (start-up, poll, redelivery, retry timer). */
  markUnknownWork(): void {
    this.unknownWork = true;
  }

  /** Whether a wake is pending that no claim has answered yet (hand-offs then leave a claim's worth of room). */
  get hasUnknownWork(): boolean {
    return this.unknownWork;
  }

  /** These subscriptions may have due deliveries in the store (their fresh ones could not be handed over). */
  noteBacklog(subscriptionIds: Iterable<string>): void {
    for (const id of subscriptionIds) this.backlogs.set(id, this.claims);
  }

  hasBacklog(subscriptionId: string): boolean {
    return this.backlogs.has(subscriptionId);
  }

  /** The next claim to make, or null when none is worth making now. */
  plan(capacity: Capacity<unknown>): ClaimPlan | null {
    const room = capacity.freeRoom;
    if (room <= 0 || (room < this.options.minClaim && capacity.sending + capacity.held > 0)) return null;
    const exclude = capacity.saturatedSubscriptions();
    // Nothing new since a claim came back short, and every subscription it skipped or limited, and every one
    // that may have a backlog, is still saturated: this claim would come back empty too.
    if (!this.unknownWork && this.exhaustedWith && this.exhaustedWith.every((id) => exclude.includes(id)) && [...this.backlogs.keys()].every((id) => exclude.includes(id))) {
      return null;
    }
    const woken = this.unknownWork;
    this.unknownWork = false;
    return { claim: ++this.claims, limit: Math.min(this.options.batchSize, room), exclude, perSubscription: capacity.claimShare, perSubscriptionLimits: capacity.claimShares(this.backlogs.keys()), woken };
  }

  /** Learns from a claim's answer; returns whether to claim again at once (it came back full). */
  claimed(plan: ClaimPlan, claimed: readonly ClaimedDelivery[]): boolean {
    const limited = limitedSubscriptions(claimed, plan);
    // They may still have due work in the store: those that got their full share and, after a wake, those skipped.
    for (const id of limited) this.backlogs.set(id, plan.claim);
    if (plan.woken) for (const id of plan.exclude) this.backlogs.set(id, plan.claim);
    if (claimed.length >= plan.limit) {
      this.exhaustedWith = null;
      return true;
    }
    const skipped = [...plan.exclude, ...limited];
    this.exhaustedWith = skipped;
    // Short: backlogs known before this claim started, for subscriptions it neither skipped nor limited, are gone.
    for (const [id, since] of this.backlogs) if (since < plan.claim && !skipped.includes(id)) this.backlogs.delete(id);
    return false;
  }
}

/** Subscriptions that got their full share of a claim (they may have more due). */
function limitedSubscriptions(claimed: readonly ClaimedDelivery[], plan: ClaimPlan): string[] {
  const counts = new Map<string, number>();
  for (const c of claimed) counts.set(c.delivery.subscription_id, (counts.get(c.delivery.subscription_id) ?? 0) + 1);
  return [...counts].filter(([id, n]) => n >= (plan.perSubscriptionLimits?.get(id) ?? plan.perSubscription)).map(([id]) => id);
}
