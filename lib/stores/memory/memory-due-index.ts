import { BinaryHeap } from './binary-heap';

/** Limits of one claim, for {@link MemoryDueIndex.claim}. */
export interface DueIndexClaim {
  now: number;
  limit: number;
  per_subscription: number;
  /** Exceptions to `per_subscription`, by subscription. */
  per_subscription_limits?: ReadonlyMap<string, number>;
  /** Subscriptions whose deliveries this claim leaves alone. */
  skip: (subscriptionId: string) => boolean;
}

/**
 * The memory queue's schedule: pending delivery ids by due time, one heap per subscription, subscriptions by
 * their earliest due delivery, and leases by expiry, so a claim costs O(log n) however much is pending.
 * Entries may go stale (a delivery completed, requeued or claimed since): the store re-checks every id handed
 * back, and stale entries are dropped on the way.
 */
export class MemoryDueIndex {
  /** Pending deliveries by next_attempt_at, one heap per subscription. */
  private readonly dueBySubscription = new Map<string, BinaryHeap<string>>();
  /** Subscriptions by the earliest key of their heap (entries may be stale: re-checked on pop). */
  private readonly subscriptionsByDue = new BinaryHeap<string>();
  /** Leased deliveries by locked_until, to reclaim expired leases. */
  private readonly leases = new BinaryHeap<string>();

  /** Records that a delivery of `subscriptionId` is due at `at` (epoch ms). */
  pushDue(subscriptionId: string, at: number, deliveryId: string): void {
    let heap = this.dueBySubscription.get(subscriptionId);
    if (!heap) this.dueBySubscription.set(subscriptionId, (heap = new BinaryHeap<string>()));
    const before = heap.peekKey();
    heap.push(at, deliveryId);
    if (before === undefined || at < before) this.subscriptionsByDue.push(at, subscriptionId);
  }

  /** Records that a delivery is leased until `until` (epoch ms): it may be claimable again then. */
  pushLease(until: number, deliveryId: string): void {
    this.leases.push(until, deliveryId);
  }

  /** Hands every delivery whose lease entry expired by `now` to `expired` (which re-checks it). */
  popExpiredLeases(now: number, expired: (deliveryId: string) => void): void {
    while ((this.leases.peekKey() ?? Infinity) <= now) expired(this.leases.pop()!);
  }

  /**
   * Offers due delivery ids to `take`, oldest first within each subscription, visiting subscriptions in order
   * of their earliest due delivery and taking up to `per_subscription` from each: a subscription's backlog
   * never has to be scanned to reach the others. `take` returns whether it claimed the id (false: stale).
   */
  claim(request: DueIndexClaim, take: (deliveryId: string) => boolean): void {
    const { now, limit, per_subscription: perSubscription, per_subscription_limits: limits, skip } = request;
    const setAside: Array<[number, string]> = [];
    const visited = new Set<string>();
    let claimed = 0;
    while (claimed < limit && (this.subscriptionsByDue.peekKey() ?? Infinity) <= now) {
      const key = this.subscriptionsByDue.peekKey()!;
      const subscriptionId = this.subscriptionsByDue.pop()!;
      const heap = this.dueBySubscription.get(subscriptionId);
      // Stale entry (a fresher one is queued, the heap is empty, or this claim already took from it).
      if (!heap || heap.peekKey() !== key || visited.has(subscriptionId)) continue;
      visited.add(subscriptionId);
      if (skip(subscriptionId)) {
        setAside.push([key, subscriptionId]);
        continue;
      }
      const cap = limits?.get(subscriptionId) ?? perSubscription;
      let taken = 0;
      while (taken < cap && claimed < limit && (heap.peekKey() ?? Infinity) <= now) {
        if (!take(heap.pop()!)) continue;
        taken++;
        claimed++;
      }
      const next = heap.peekKey();
      if (next === undefined) this.dueBySubscription.delete(subscriptionId);
      else setAside.push([next, subscriptionId]);
    }
    for (const [at, subscriptionId] of setAside) this.subscriptionsByDue.push(at, subscriptionId);
  }

  /** Whether `subscriptionId` has a delivery due by `now` (entries may be stale: `claimFrom` re-checks). */
  hasDue(subscriptionId: string, now: number): boolean {
    return (this.dueBySubscription.get(subscriptionId)?.peekKey() ?? Infinity) <= now;
  }

  /** Offers up to `max` of one subscription's due ids to `take`, oldest first; returns how many it took. */
  claimFrom(subscriptionId: string, now: number, max: number, take: (deliveryId: string) => boolean): number {
    const heap = this.dueBySubscription.get(subscriptionId);
    if (!heap) return 0;
    let taken = 0;
    let popped = false;
    while (taken < max && (heap.peekKey() ?? Infinity) <= now) {
      popped = true;
      if (take(heap.pop()!)) taken++;
    }
    const next = heap.peekKey();
    if (next === undefined) this.dueBySubscription.delete(subscriptionId);
    // Keep the subscription findable by `claim` (its old entry no longer matches the heap and is dropped there).
    else if (popped) this.subscriptionsByDue.push(next, subscriptionId);
    return taken;
  }
}
