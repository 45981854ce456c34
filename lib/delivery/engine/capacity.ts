import { SendPace } from './send-pace';

/** Caps' worth of a fast endpoint's deliveries that may be busy here (sending and held). */
const FAST_HOLD_CAPS = 4;
/** Most fast subscriptions given a larger claim share in one claim (each is a term of the claim's SQL). */
const MAX_FAST_SHARES = 32;
/**
 * Idle subscriptions a per-subscription tally may hold (beyond as many as are busy: sweeping stays amortized O(1))
 * before they are swept out. An idle subscription keeps its entry (0, or an empty queue) rather than being deleted:
 * a long-lived Map whose entries come and go keeps rebuilding its table, and once a table is in the old generation
 * each rebuilt one, with what it holds, stays reachable from it until the next full collection (see `followSignal`
 * in undici-exchange.ts).
 */
const SWEEP_AT = 1_024;

/** The limits a {@link Capacity} keeps, from the module config. */
export interface CapacityLimits {
  /** Deliveries sending, held and reserved together in this process (`max_concurrent_deliveries`). */
  maxInProcess: number;
  /** Sends in flight to one subscription (`max_concurrent_per_endpoint`), unless it has its own cap. */
  sendCap: number;
  /**
   * Highest cap a subscription may have of its own (`max_concurrent_per_endpoint_ceiling`; default none): a value
   * stored before the ceiling existed, or under a higher one, is cut to it.
   */
  ownCapCeiling?: number;
}

/**
 * Where this process's delivery slots are, per subscription: deliveries *sending*, *held* (claimed or handed
 * over, waiting for a send slot) and *reserved* (handed over by `dispatch()` but not yet committed). Pure
 * bookkeeping: no I/O, no timers.
 *
 * The per-endpoint cap is the subscription's own `max_concurrent_per_endpoint` once {@link setCap} learned it,
 * else the module's (`sendCap`). It has four uses, each with its own name here:
 * - {@link sendCapOf}: most sends in flight to one subscription;
 * - {@link claimShareOf} (and {@link claimShares}, those that differ from the module's): most deliveries of one
 *   subscription a claim takes, so one endpoint's backlog cannot fill a claim (fairness);
 * - {@link saturated}: no room left to hold a claim's share: the subscription is left out of claims;
 * - {@link holdLimitOf} and {@link reservationLimitOf}: most busy, and most still-committing hand-offs, per
 *   subscription, so a slow endpoint never ties up more than its share of the process.
 * How many of a subscription's deliveries may be held follows its pace ({@link SendPace}): twice its cap for a
 * slow endpoint or one not measured yet (a claim's share of one cap, saturated past its cap busy), four times its
 * cap when its sends take a few milliseconds, so that neither a commit stall nor a claim's round trip makes a
 * backlog that claims of one cap each drain slowly.
 */
export class Capacity<T> {
  readonly maxInProcess: number;
  /** The module's per-endpoint cap and what follows from it, for subscriptions without their own. */
  readonly sendCap: number;
  readonly claimShare: number;
  readonly holdLimit: number;
  readonly reservationLimit: number;

  private sendingCount = 0;
  private heldCount = 0;
  private reservedCount = 0;
  private sendingBy = new Map<string, number>();
  private heldBy = new Map<string, T[]>();
  /**
   * The subscriptions with held items, each once, in the order they began waiting: what {@link startable} walks
   * (`heldBy` also keeps idle entries, up to {@link SWEEP_AT} of them, which a walk of it would visit every time).
   */
  private waiting: string[] = [];
  private reservedBy = new Map<string, number>();
  /** Subscriptions with their own cap. */
  private readonly caps = new Map<string, number>();
  private readonly ownCapCeiling: number;
  private readonly pace = new SendPace();

  constructor(limits: CapacityLimits) {
    this.maxInProcess = limits.maxInProcess;
    this.sendCap = limits.sendCap;
    this.claimShare = limits.sendCap;
    this.holdLimit = 2 * limits.sendCap;
    this.reservationLimit = 2 * limits.sendCap;
    this.ownCapCeiling = limits.ownCapCeiling ?? Infinity;
  }

  /** Learns a subscription's own cap (null or undefined: the module's), at most the ceiling. */
  setCap(subscriptionId: string, cap: number | null | undefined): void {
    if (cap != null) this.caps.set(subscriptionId, Math.min(cap, this.ownCapCeiling));
    else if (this.caps.size > 0) this.caps.delete(subscriptionId);
  }

  /** Most sends in flight to `subscriptionId`. */
  sendCapOf(subscriptionId: string): number {
    return this.caps.size === 0 ? this.sendCap : (this.caps.get(subscriptionId) ?? this.sendCap);
  }

  /**
   * The claim shares that differ from {@link claimShare}: of the subscriptions with their own cap, and of those of
   * `candidates` (say, the ones with a backlog) that are fast and may hold more (at most {@link MAX_FAST_SHARES} of
   * them); undefined: none.
   */
  claimShares(candidates: Iterable<string> = []): ReadonlyMap<string, number> | undefined {
    let shares: Map<string, number> | undefined;
    for (const id of this.caps.keys()) (shares ??= new Map()).set(id, this.claimShareOf(id));
    let fast = 0;
    for (const id of candidates) {
      if (fast >= MAX_FAST_SHARES) break;
      if (this.caps.has(id) || !this.isFast(id)) continue;
      (shares ??= new Map()).set(id, this.claimShareOf(id));
      fast++;
    }
    return shares;
  }

  /** Whether `subscriptionId`'s sends are fast (see {@link SendPace}): it may then hold more. */
  isFast(subscriptionId: string): boolean {
    return this.pace.fast(subscriptionId);
  }

  /**
   * Most deliveries of `subscriptionId` busy here: twice its cap, or for a fast endpoint four times its cap (within
   * the process's room). Not more: a held delivery's lease runs while it waits, and under load "fast" sends slow down.
   */
  holdLimitOf(subscriptionId: string): number {
    const cap = this.sendCapOf(subscriptionId);
    return this.isFast(subscriptionId) ? Math.max(2 * cap, Math.min(FAST_HOLD_CAPS * cap, this.maxInProcess)) : 2 * cap;
  }

  /** Most hand-offs of `subscriptionId` still committing (as many as it may hold). */
  reservationLimitOf(subscriptionId: string): number {
    return this.holdLimitOf(subscriptionId);
  }

  /**
   * Most deliveries of `subscriptionId` a claim may take now: what its hold limit leaves, counting at least its
   * cap as busy (so a claim overlaps its sends). For one that is not fast, with no more than its cap busy: the cap
   * ({@link claimShare}).
   */
  claimShareOf(subscriptionId: string): number {
    return this.holdLimitOf(subscriptionId) - Math.max(this.busy(subscriptionId), this.sendCapOf(subscriptionId));
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

  /**
   * No room left to hold a cap's worth more (if not fast: more than its send cap busy): left out of claims (the next
   * claim then overlaps its sends).
   */
  saturated(subscriptionId: string): boolean {
    return this.claimShareOf(subscriptionId) < this.sendCapOf(subscriptionId);
  }

  /** Every subscription left out of claims now. */
  saturatedSubscriptions(): string[] {
    const out = new Set<string>();
    // A subscription with nothing busy is never saturated: idle entries are skipped without asking.
    for (const [id, n] of this.sendingBy) if (n > 0 && this.saturated(id)) out.add(id);
    for (const id of this.waiting) if (this.saturated(id)) out.add(id);
    return [...out];
  }

  /**
   * Whether a fresh delivery of `subscriptionId` may be handed over to this process: busy and still-committing
   * hand-offs are bounded separately (each by its hold limit), so commit latency does not eat into a fast
   * endpoint's room while a slow one takes no more; with a `backlog` in the store, only while a claim can still
   * take a cap's worth (for one that is not fast: while fewer than its cap are busy), so claims keep draining the
   * backlog oldest first.
   */
  canReserve(subscriptionId: string, backlog: boolean): boolean {
    const busy = this.busy(subscriptionId);
    const hold = this.holdLimitOf(subscriptionId);
    if (busy >= hold || (this.reservedBy.get(subscriptionId) ?? 0) >= this.reservationLimitOf(subscriptionId)) return false;
    return !(backlog && busy >= hold - this.sendCapOf(subscriptionId));
  }

  reserve(subscriptionId: string): void {
    this.reservedBy.set(subscriptionId, (this.reservedBy.get(subscriptionId) ?? 0) + 1);
    this.reservedCount++;
  }

  unreserve(subscriptionId: string): void {
    this.reservedCount--;
    decrement(this.reservedBy, subscriptionId);
    this.reservedBy = swept(this.reservedBy, this.reservedCount, (n) => n > 0);
  }

  /** Holds `item` for a send slot; false (nothing held) when the subscription already has `holdLimit` busy. */
  hold(subscriptionId: string, item: T): boolean {
    if (this.busy(subscriptionId) >= this.holdLimitOf(subscriptionId)) return false;
    let queue = this.heldBy.get(subscriptionId);
    if (!queue) this.heldBy.set(subscriptionId, (queue = []));
    if (queue.length === 0) this.waiting.push(subscriptionId);
    queue.push(item);
    this.heldCount++;
    return true;
  }

  /**
   * Moves held items to sending while there are send slots (`maxInProcess` in all, its cap per subscription),
   * oldest held first within a subscription; returns them. Each must be followed by one {@link finish}.
   */
  startable(): T[] {
    const out: T[] = [];
    const { waiting } = this;
    let still = 0;
    for (const id of waiting) {
      const queue = this.heldBy.get(id)!;
      let sending = this.sendingBy.get(id) ?? 0;
      const cap = this.sendCapOf(id);
      while (queue.length > 0 && this.sendingCount < this.maxInProcess && sending < cap) {
        out.push(queue.shift()!);
        this.heldCount--;
        this.sendingCount++;
        sending++;
      }
      if (sending > 0) this.sendingBy.set(id, sending);
      if (queue.length > 0) waiting[still++] = id;
    }
    waiting.length = still;
    this.heldBy = swept(this.heldBy, this.heldCount, (queue) => queue.length > 0);
    return out;
  }

  /**
   * A send of `subscriptionId` ended: its slot is free. `slotMs`, how long the send held it, teaches the
   * subscription's pace (omitted for a delivery that never started).
   */
  finish(subscriptionId: string, slotMs?: number): void {
    this.sendingCount--;
    decrement(this.sendingBy, subscriptionId);
    this.sendingBy = swept(this.sendingBy, this.sendingCount, (n) => n > 0);
    if (slotMs !== undefined) this.pace.recordSlot(subscriptionId, slotMs);
  }

  /** Every held item, removed (shutdown). */
  drainHeld(): T[] {
    const out = this.heldItems();
    this.heldBy.clear();
    this.waiting = [];
    this.heldCount = 0;
    return out;
  }

  /** Held items, without removing them. */
  heldItems(): T[] {
    return this.waiting.flatMap((id) => this.heldBy.get(id)!);
  }
}

/** One less for `key`, kept at zero (see {@link SWEEP_AT}). */
function decrement(map: Map<string, number>, key: string): void {
  map.set(key, Math.max(0, (map.get(key) ?? 0) - 1));
}

/** `map` itself, or once it holds more than {@link SWEEP_AT} entries beyond the `busy` ones, a new map of those in use. */
function swept<V>(map: Map<string, V>, busy: number, inUse: (value: V) => boolean): Map<string, V> {
  if (map.size <= SWEEP_AT + busy) return map;
  const out = new Map<string, V>();
  for (const [key, value] of map) if (inUse(value)) out.set(key, value);
  return out;
}
