import type { DeliveryLease } from '../../domain/stores';
import type { StoredEvent } from '../../domain/types';
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
  /** Deliveries stored without a lease (no room here): a claim should look for them. */
  unleasedStored(): void;
}

/**
 * The hand-off of fresh deliveries from `dispatch()` to this process's engine, without a claim round trip:
 * {@link reserve} gives a lease to those there is room for (stored already leased, they start the moment the
 * enqueue commits), then {@link Reservation.settle} says whether the enqueue stored them. A crash in between
 * loses nothing: the lease expires and any replica claims them.
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
   * subscription with a backlog in the store gets none once its cap is busy. Must be followed by one `settle`.
   */
  reserve(subscriptionIds: readonly string[]): Reservation {
    const leases: Array<DeliveryLease | null> = subscriptionIds.map(() => null);
    if (this.sink.accepting()) {
      let room = this.capacity.freeRoom - (this.planner.hasUnknownWork ? this.options.minClaim : 0);
      let lease: DeliveryLease | undefined;
      for (let i = 0; i < subscriptionIds.length && room > 0; i++) {
        const id = subscriptionIds[i];
        if (!this.capacity.canReserve(id, this.planner.hasBacklog(id))) continue;
        leases[i] = lease ??= { worker_id: this.options.workerId, until: new Date(this.options.clock.now() + this.options.leaseMs) };
        this.capacity.reserve(id);
        room--;
      }
    }
    return new Reservation(subscriptionIds, leases, (event, deliveryIds, stored) => this.settle(subscriptionIds, leases, event, deliveryIds, stored));
  }

  private settle(subscriptionIds: readonly string[], leases: ReadonlyArray<DeliveryLease | null>, event: StoredEvent, deliveryIds: readonly string[], stored: boolean): void {
    const mine: Held[] = [];
    const others: string[] = [];
    subscriptionIds.forEach((id, i) => {
      const lease = leases[i];
      if (!lease) return others.push(id);
      this.capacity.unreserve(id);
      if (stored) mine.push(handedOver(event, deliveryIds[i], id, lease));
    });
    if (!stored) return;
    if (others.length > 0) {
      this.planner.noteBacklog(others);
      this.sink.unleasedStored();
    }
    if (mine.length > 0) this.sink.adopt(mine);
  }
}

/** The leases {@link HandOff.reserve} gave, until the enqueue's outcome is known. */
export class Reservation {
  private settled = false;

  constructor(
    readonly subscriptionIds: readonly string[],
    /** Per subscription id, in order: the lease to store its delivery with, or null. */
    readonly leases: ReadonlyArray<DeliveryLease | null>,
    private readonly onSettle: (event: StoredEvent, deliveryIds: readonly string[], stored: boolean) => void,
  ) {}

  /**
   * After the enqueue: `stored` says whether the event was new (false for a duplicate or a failed write). The
   * deliveries stored leased here start at once; the others are left to claims. Settling twice is a no-op.
   */
  settle(event: StoredEvent, deliveryIds: readonly string[], stored: boolean): void {
    if (this.settled) return;
    this.settled = true;
    this.onSettle(event, deliveryIds, stored);
  }
}
