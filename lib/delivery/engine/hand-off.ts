import type { DeliveryLease } from '../../domain/stores';
import type { StoredEvent, WebhookSubscription } from '../../domain/types';
import type { Capacity } from './capacity';
import type { ClaimPlanner } from './claim-planner';
import type { Clock } from './clock';
import { handedOver, type Held } from './held';

/** Settings of a {@link HandOff}. */
export interface HandOffOptions {
  workerId: string;
  leaseMs: number;
  /** Room left for a claim while a wake is unanswered (see `ClaimPlanner.hasUnknownWork`). */
  minClaim: number;
  clock: Clock;
}

/** What a {@link HandOff} does with the outcome of a reservation. */
export interface HandOffSink {
  /** Whether this process still takes work (not shutting down). */
  accepting(): boolean;
  /** Deliveries stored leased to this process: start them (or release them, when shutting down). */
  adopt(held: Held[]): void;
  /** Deliveries stored without a lease (no room here, or `rateLimited`: some are rate-limited): a claim should look for them. */
  unleasedStored(rateLimited: boolean): void;
}

/**
 * What a hand-off needs to know of a subscription: its own cap, and whether it is rate-limited or ordered (never
 * handed off).
 */
export type HandOffTarget = Pick<WebhookSubscription, 'subscription_id' | 'max_concurrent_per_endpoint' | 'rate_limit_per_second' | 'ordered'>;

/** An event a caller's transaction stored, with its deliveries' subscriptions and ids, in order. */
export interface CommittedEvent {
  event: StoredEvent;
  targets: readonly HandOffTarget[];
  deliveryIds: readonly string[];
}

/**
 * The hand-off of fresh deliveries from `dispatch()` to this process's engine, without a claim round trip:
 * {@link reserve} gives a lease to those there is room for (stored already leased, they start the moment the
 * enqueue commits), then {@link Reservation.settle} says whether the enqueue stored them. A crash in between
 * loses nothing: the lease expires and any replica claims them. Deliveries to a rate-limited subscription are
 * never handed off: only a claim can take its tokens, which all replicas share in the store. Nor are those to
 * an ordered subscription: only a claim knows whether their lane's turn has come.
 */
export class HandOff {
  constructor(
    private readonly capacity: Capacity<Held>,
    private readonly planner: ClaimPlanner,
    private readonly options: HandOffOptions,
    private readonly sink: HandOffSink,
  ) {}

  /**
   * Leases for fresh deliveries of these subscriptions (one per entry, in order; null = no room, store it for a
   * claim), within the bounds a claim keeps: while a wake is unanswered a claim's worth of room is left, and a
   * subscription with a backlog in the store gets none once its cap is busy. The leases are `given`, or one new
   * lease. Must be followed by one `settle`.
   */
  reserve(subscriptions: readonly HandOffTarget[], given?: DeliveryLease): Reservation {
    const subscriptionIds = subscriptions.map((s) => s.subscription_id);
    const leases: Array<DeliveryLease | null> = subscriptionIds.map(() => null);
    let rateLimited = false;
    for (const s of subscriptions) {
      this.capacity.setCap(s.subscription_id, s.max_concurrent_per_endpoint);
      if (s.rate_limit_per_second != null) rateLimited = true;
    }
    if (this.sink.accepting()) {
      let room = this.capacity.freeRoom - (this.planner.hasUnknownWork ? this.options.minClaim : 0);
      let lease = given;
      for (let i = 0; i < subscriptionIds.length && room > 0; i++) {
        const id = subscriptionIds[i];
        if (!mayHandOff(subscriptions[i]) || !this.capacity.canReserve(id, this.planner.hasBacklog(id))) continue;
        leases[i] = lease ??= this.newLease();
        this.capacity.reserve(id);
        room--;
      }
    }
    return new Reservation(subscriptionIds, leases, (event, deliveryIds, stored, taken) => this.settle(subscriptions, leases, event, deliveryIds, stored, rateLimited, taken));
  }

  /**
   * Deliveries a caller's transaction stored (never leased at insert) have committed: leases by id those there is
   * room for (`leaseByIds`, one write for them all) and starts the ones it got; the others are left to claims.
   * Rejects when the write fails, after handing everything to claims.
   */
  async adoptCommitted(items: readonly CommittedEvent[], leaseByIds: (ids: string[], lease: DeliveryLease) => Promise<string[]>): Promise<void> {
    const lease = this.newLease();
    const reservations = items.map((item) => this.reserve(item.targets, lease));
    const wanted = reservations.flatMap((r, k) => r.leases.flatMap((l, j) => (l ? [items[k].deliveryIds[j]] : [])));
    let taken = new Set<string>();
    try {
      if (wanted.length > 0) taken = new Set(await leaseByIds(wanted, lease));
    } finally {
      reservations.forEach((r, k) => r.settle(items[k].event, items[k].deliveryIds, true, taken));
    }
  }

  /** A lease of this process from now. */
  newLease(): DeliveryLease {
    return { worker_id: this.options.workerId, until: new Date(this.options.clock.now() + this.options.leaseMs) };
  }

  private settle(
    subscriptions: readonly HandOffTarget[],
    leases: ReadonlyArray<DeliveryLease | null>,
    event: StoredEvent,
    deliveryIds: readonly string[],
    stored: boolean,
    rateLimited: boolean,
    taken: ReadonlySet<string> | undefined,
  ): void {
    const mine: Held[] = [];
    const others: string[] = [];
    subscriptions.forEach(({ subscription_id: id, rate_limit_per_second: rate }, i) => {
      const lease = leases[i];
      // A rate-limited subscription's deliveries are claimed within its tokens, never by a general claim.
      if (!lease) return rate == null && others.push(id);
      this.capacity.unreserve(id);
      if (!stored) return;
      // Leased after the insert (`taken`): one another claimer took first is left to it.
      if (!taken || taken.has(deliveryIds[i])) mine.push(handedOver(event, deliveryIds[i], id, lease));
      else others.push(id);
    });
    if (!stored) return;
    if (others.length > 0) this.planner.noteBacklog(others);
    if (others.length > 0 || rateLimited) this.sink.unleasedStored(rateLimited);
    if (mine.length > 0) this.sink.adopt(mine);
  }
}

/** Whether a fresh delivery to `s` may start without a claim. */
function mayHandOff(s: HandOffTarget): boolean {
  return s.rate_limit_per_second == null && !s.ordered;
}

/** The leases {@link HandOff.reserve} gave, until the enqueue's outcome is known. */
export class Reservation {
  private settled = false;

  constructor(
    readonly subscriptionIds: readonly string[],
    /** Per subscription id, in order: the lease to store its delivery with, or null. */
    readonly leases: ReadonlyArray<DeliveryLease | null>,
    private readonly onSettle: (event: StoredEvent, deliveryIds: readonly string[], stored: boolean, taken: ReadonlySet<string> | undefined) => void,
  ) {}

  /**
   * After the enqueue: `stored` says whether the event was new (false for a duplicate or a failed write). The
   * deliveries stored leased here start at once; the others are left to claims. When the leases were written
   * after the insert (`leaseByIds`), `taken` holds the ids that got them: only those start. Settling twice is a
   * no-op.
   */
  settle(event: StoredEvent, deliveryIds: readonly string[], stored: boolean, taken?: ReadonlySet<string>): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettle(event, deliveryIds, stored, taken);
  }
}
