import type { ClaimOptions, DeliveryLease, RateLimitedClaim } from '../../domain/stores';
import type { ClaimedDelivery, DeliveryRecord, StoredEvent } from '../../domain/types';
import type { MemoryDueIndex } from './memory-due-index';
import type { MemoryLanes } from './memory-lanes';
import type { MemoryRateBuckets } from './memory-rate-buckets';

/**
 * The memory store's claims, over its deliveries and events and its {@link MemoryDueIndex}: deliveries of
 * rate-limited subscriptions only through {@link claimRateLimited}, which takes their tokens; laned deliveries
 * only in their turn ({@link MemoryLanes}).
 */
export class MemoryClaims {
  constructor(
    private readonly deliveries: ReadonlyMap<string, DeliveryRecord>,
    private readonly events: ReadonlyMap<string, StoredEvent>,
    private readonly due: MemoryDueIndex,
    private readonly buckets: MemoryRateBuckets,
    private readonly lanes: MemoryLanes,
  ) {}

  claimDue(options: ClaimOptions): ClaimedDelivery[] {
    const now = options.now.getTime();
    this.reclaimExpiredLeases(now);
    const claimed: ClaimedDelivery[] = [];
    const lockedUntil = new Date(now + options.lease_ms);
    const excluded = new Set(options.exclude_subscription_ids ?? []);
    const limited = this.buckets.limits;
    const skip = limited.size === 0 ? (id: string) => excluded.has(id) : (id: string) => excluded.has(id) || limited.has(id);
    const request = { now, limit: options.limit, per_subscription: options.per_subscription_limit ?? Infinity, per_subscription_limits: options.per_subscription_limits, skip };
    this.due.claim(request, (id) => this.lease(id, now, lockedUntil, options, claimed));
    return claimed;
  }

  claimRateLimited(options: ClaimOptions): RateLimitedClaim {
    const now = options.now.getTime();
    this.reclaimExpiredLeases(now);
    const claimed: ClaimedDelivery[] = [];
    const lockedUntil = new Date(now + options.lease_ms);
    const next_at = this.buckets.claim(this.due, options, (id) => this.lease(id, now, lockedUntil, options, claimed));
    return { claimed, next_at };
  }

  /** See `DeliveryQueue.leaseByIds`. */
  leaseByIds(deliveryIds: readonly string[], lease: DeliveryLease, now: Date): string[] {
    const at = now.getTime();
    this.reclaimExpiredLeases(at);
    const leased: string[] = [];
    for (const id of new Set(deliveryIds)) {
      const d = this.deliveries.get(id);
      if (!d || d.status !== 'pending' || d.lane != null || d.next_attempt_at.getTime() > at || (d.locked_until && d.locked_until.getTime() > at)) continue;
      d.locked_until = lease.until;
      d.locked_by = lease.worker_id;
      d.updated_at = now;
      this.due.pushLease(lease.until.getTime(), id);
      leased.push(id);
    }
    return leased;
  }

  /** Makes deliveries whose lease expired by `now` claimable again. */
  private reclaimExpiredLeases(now: number): void {
    this.due.popExpiredLeases(now, (id) => {
      const d = this.deliveries.get(id);
      if (d && d.status === 'pending' && d.locked_until && d.locked_until.getTime() <= now) {
        d.locked_until = null;
        d.locked_by = null;
        if (d.lane != null) this.lanes.leaseEnded(d, false);
        else this.due.pushDue(d.subscription_id, d.next_attempt_at.getTime(), id);
      }
    });
  }

  /** Leases one delivery the due index offers, if it is still claimable, into `out`. */
  private lease(id: string, now: number, lockedUntil: Date, options: ClaimOptions, out: ClaimedDelivery[]): boolean {
    const d = this.deliveries.get(id);
    if (!claimable(d, now) || (d.lane != null && !this.lanes.mayStart(d))) return false;
    const event = this.events.get(d.event_id);
    if (!event) return false;
    if (d.lane != null) this.lanes.hold(d);
    d.locked_until = lockedUntil;
    d.locked_by = options.worker_id;
    d.updated_at = options.now;
    this.due.pushLease(lockedUntil.getTime(), id);
    out.push({ delivery: { ...d }, event });
    return true;
  }
}

/** Whether a delivery id handed back by the due index is still claimable now. */
function claimable(d: DeliveryRecord | undefined, now: number): d is DeliveryRecord {
  return !!d && d.status === 'pending' && !(d.locked_until && d.locked_until.getTime() > now) && d.next_attempt_at.getTime() <= now;
}
