/** Subscriptions whose pace is remembered; past this the oldest entry is forgotten (it starts over, as not fast). */
const MAX_TRACKED = 10_000;
/** Sends that keep their slot less than this long (on average) are fast. */
export const FAST_SEND_MS = 25;
/**
 * Weight of a new sample in the running average (1/64: about the last 64), so that a stall of the event loop or
 * of the database, which makes every send of its moment slow, moves it little.
 */
const WEIGHT = 1 / 64;

/**
 * How long each subscription's sends keep their slot (to the 2xx answer, or to the end of the attempt for a
 * failure), as a running average, and from it whether an endpoint is {@link fast}: under {@link FAST_SEND_MS}.
 * A fast endpoint's held deliveries start within milliseconds, so holding many of them costs little, while holding
 * few makes every claim's round trip a pause (at one cap per claim, a 6 ms round trip caps the default cap of 8 at
 * about 1,300 deliveries a second, and one commit stall leaves a backlog behind). A slow or hanging endpoint, and
 * one not measured yet, are not fast. The average moves slowly, so that an endpoint does not flip between fast and
 * slow with every stall of the event loop or the database. Pure: no I/O, no timers.
 */
export class SendPace {
  private readonly slotMs = new Map<string, number>();

  /** A send of `subscriptionId` held its slot for `ms`. */
  recordSlot(subscriptionId: string, ms: number): void {
    const previous = this.slotMs.get(subscriptionId);
    if (previous === undefined && this.slotMs.size >= MAX_TRACKED) this.slotMs.delete(this.slotMs.keys().next().value!);
    this.slotMs.set(subscriptionId, previous === undefined ? ms : previous + (ms - previous) * WEIGHT);
  }

  /** Whether `subscriptionId`'s sends keep their slot less than {@link FAST_SEND_MS} on average. */
  fast(subscriptionId: string): boolean {
    const slot = this.slotMs.get(subscriptionId);
    return slot !== undefined && slot < FAST_SEND_MS;
  }
}
