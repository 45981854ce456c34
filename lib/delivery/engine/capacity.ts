/** The limits a {@link Capacity} keeps, from the module config. */
export interface CapacityLimits {
  /** Deliveries sending, held and reserved together in this process (`max_concurrent_deliveries`). */
  maxInProcess: number;
  /** Sends in flight to one subscription (`max_concurrent_per_endpoint`). */
  sendCap: number;
}

/**
 * Where this process's delivery slots are, per subscription: deliveries *sending*, *held* (claimed or handed
 * over, waiting for a send slot) and *reserved* (handed over by `dispatch()` but not yet committed). Pure
 * bookkeeping: no I/O, no timers.
 *
 * The per-endpoint cap (`sendCap`) has four uses, each with its own name here:
 * - {@link sendCap}: most sends in flight to one subscription;
 * - {@link claimShare}: most deliveries of one subscription a claim takes, so one endpoint's backlog cannot fill
 *   a claim (fairness);
 * - {@link saturated}: more than `sendCap` busy (sending + held): the subscription is left out of claims;
 * - {@link holdLimit} and {@link reservationLimit}, twice `sendCap`: most busy, and most still-committing
 *   hand-offs, per subscription, so a slow endpoint never ties up more than its share of the process.
 */
export class Capacity<T> {
  readonly maxInProcess: number;
  readonly sendCap: number;
  readonly claimShare: number;
  readonly holdLimit: number;
  readonly reservationLimit: number;

  private sendingCount = 0;
  private heldCount = 0;
  private reservedCount = 0;
  private readonly sendingBy = new Map<string, number>();
  private readonly heldBy = new Map<string, T[]>();
  private readonly reservedBy = new Map<string, number>();

  constructor(limits: CapacityLimits) {
    this.maxInProcess = limits.maxInProcess;
    this.sendCap = limits.sendCap;
    this.claimShare = limits.sendCap;
    this.holdLimit = 2 * limits.sendCap;
    this.reservationLimit = 2 * limits.sendCap;
  }

  /** Sends in flight. */
  get sending(): number {
    return this.sendingCount;
  }

  /** Deliveries held for a free send slot. */
  get held(): number {
    return this.heldCount;
  }

  /** Slots neither sending, nor held, nor reserved. */
  get freeRoom(): number {
    return this.maxInProcess - this.sendingCount - this.heldCount - this.reservedCount;
  }

  /** Deliveries of one subscription sending or held here. */
  busy(subscriptionId: string): number {
    return (this.sendingBy.get(subscriptionId) ?? 0) + (this.heldBy.get(subscriptionId)?.length ?? 0);
  }

  /** More than its send cap busy: left out of claims (the next claim then overlaps its sends). */
  saturated(subscriptionId: string): boolean {
    return this.busy(subscriptionId) > this.sendCap;
  }

  /** Every subscription left out of claims now. */
  saturatedSubscriptions(): string[] {
    const out = new Set<string>();
    for (const id of this.sendingBy.keys()) if (this.saturated(id)) out.add(id);
    for (const id of this.heldBy.keys()) if (this.saturated(id)) out.add(id);
    return [...out];
  }

  /**
   * Whether a fresh delivery of `subscriptionId` may be handed over to this process: busy and still-committing
   * hand-offs are bounded separately (each by twice the cap), so commit latency does not eat into a fast
   * endpoint's room while a slow one takes no more; with a `backlog` in the store, only while fewer than its cap
   * are busy, so freed slots go to claims, which drain the backlog oldest first.
   */
  canReserve(subscriptionId: string, backlog: boolean): boolean {
    const busy = this.busy(subscriptionId);
    if (busy >= this.holdLimit || (this.reservedBy.get(subscriptionId) ?? 0) >= this.reservationLimit) return false;
    return !(backlog && busy >= this.sendCap);
  }

  reserve(subscriptionId: string): void {
    this.reservedBy.set(subscriptionId, (this.reservedBy.get(subscriptionId) ?? 0) + 1);
    this.reservedCount++;
  }

  unreserve(subscriptionId: string): void {
    this.reservedCount--;
    decrement(this.reservedBy, subscriptionId);
  }

  /** Holds `item` for a send slot; false (nothing held) when the subscription already has `holdLimit` busy. */
  hold(subscriptionId: string, item: T): boolean {
    if (this.busy(subscriptionId) >= this.holdLimit) return false;
    let queue = this.heldBy.get(subscriptionId);
    if (!queue) this.heldBy.set(subscriptionId, (queue = []));
    queue.push(item);
    this.heldCount++;
    return true;
  }

  /**
   * Moves held items to sending while there are send slots (`maxInProcess` in all, `sendCap` per subscription),
   * oldest held first within a subscription; returns them. Each must be followed by one {@link finish}.
   */
  startable(): T[] {
    const out: T[] = [];
    for (const [id, queue] of this.heldBy) {
      let sending = this.sendingBy.get(id) ?? 0;
      while (queue.length > 0 && this.sendingCount < this.maxInProcess && sending < this.sendCap) {
        out.push(queue.shift()!);
        this.heldCount--;
        this.sendingCount++;
        sending++;
      }
      if (sending > 0) this.sendingBy.set(id, sending);
      if (queue.length === 0) this.heldBy.delete(id);
    }
    return out;
  }

  /** A send of `subscriptionId` ended: its slot is free. */
  finish(subscriptionId: string): void {
    this.sendingCount--;
    decrement(this.sendingBy, subscriptionId);
  }

  /** Every held item, removed (shutdown). */
  drainHeld(): T[] {
    const out = [...this.heldBy.values()].flat();
    this.heldBy.clear();
    this.heldCount = 0;
    return out;
  }

  /** Held items, without removing them. */
  heldItems(): T[] {
    return [...this.heldBy.values()].flat();
  }
}

function decrement(map: Map<string, number>, key: string): void {
  const n = (map.get(key) ?? 0) - 1;
  if (n <= 0) map.delete(key);
  else map.set(key, n);
}
