/** Most cap's worths of a fast endpoint's deliveries that may wait here beyond its sends (see {@link SendPace.depth}). */
export const MAX_HOLD_DEPTH = 8;
/** Subscriptions whose pace is remembered; past this the oldest entry is forgotten (it starts over at depth 1). */
const MAX_TRACKED = 10_000;
/** Weight of a new sample in the running averages (1/8: about the last 8). */
const WEIGHT = 1 / 8;
/** Slot times are whole milliseconds: below this an average is taken as this. */
const MIN_SLOT_MS = 0.25;

/**
 * How long a claim's round trip takes, and how long each subscription's sends keep their slot (to the 2xx
 * answer, or to the end of the attempt for a failure), both as running averages; from them, how many cap's worths
 * of a subscription's deliveries may wait here for a slot ({@link depth}): as many as its sends get through during
 * one claim round trip, between 1 and {@link MAX_HOLD_DEPTH}. With less, a claim cannot keep up with a fast
 * endpoint's backlog (at one cap per claim, a 6 ms round trip caps the default cap of 8 at about 1,300 deliveries a
 * second); with more, deliveries would only wait longer here than a claim takes. A slow or hanging endpoint, one not
 * measured yet, and every endpoint while claims cost nothing (the memory store) get depth 1. Pure: no I/O, no timers.
 */
export class SendPace {
  private readonly slotMs = new Map<string, number>();
  private claimMs: number | undefined;

  /** A claim's round trip took `ms`. */
  recordClaim(ms: number): void {
    this.claimMs = average(this.claimMs, ms);
  }

  /** A send of `subscriptionId` held its slot for `ms`. */
  recordSlot(subscriptionId: string, ms: number): void {
    const previous = this.slotMs.get(subscriptionId);
    if (previous === undefined && this.slotMs.size >= MAX_TRACKED) this.slotMs.delete(this.slotMs.keys().next().value!);
    this.slotMs.set(subscriptionId, average(previous, ms));
  }

  /** Cap's worths of `subscriptionId`'s deliveries that may wait here beyond its sends (1 to {@link MAX_HOLD_DEPTH}). */
  depth(subscriptionId: string): number {
    const slot = this.slotMs.get(subscriptionId);
    if (slot === undefined || this.claimMs === undefined) return 1;
    return Math.max(1, Math.min(MAX_HOLD_DEPTH, Math.ceil(this.claimMs / Math.max(slot, MIN_SLOT_MS))));
  }
}

function average(previous: number | undefined, sample: number): number {
  return previous === undefined ? sample : previous + (sample - previous) * WEIGHT;
}
