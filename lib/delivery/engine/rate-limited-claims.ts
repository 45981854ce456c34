import type { Clock, TimerHandle } from './clock';

/**
 * When to ask the store for deliveries of rate-limited subscriptions (`DeliveryQueue.claimRateLimited`). Their
 * tokens are in the store, shared by every replica, so only a claim can tell whether one is free: at once after
 * a wake that may have brought such work (start-up, a poll tick, a retry timer, a rate-limited delivery
 * stored, a send slot of a rate-limited subscription freed), otherwise when the last such claim said the next
 * token comes (a timer then wakes the claim loop), and not before. With no rate-limited subscription in the
 * store this costs one empty claim per wake of that kind (about one a second), never one per delivery.
 */
export class RateLimitedClaims {
  private dueAt = -Infinity;
  private generation = 0;
  private timer: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    /** Runs a claim round soon. */
    private readonly wake: () => void,
  ) {}

  /** Rate-limited work may be due: the next claim round asks. */
  markUnknown(): void {
    this.generation++;
    this.dueAt = -Infinity;
  }

  /** Whether the next claim round should ask. */
  get due(): boolean {
    return this.clock.now() >= this.dueAt;
  }

  /** Call before asking; hand the number to {@link claimed}. */
  begin(): number {
    return this.generation;
  }

  /** Learns from the answer (`next_at`): ask again then, with a timer; unless a wake came meanwhile (ask at once). */
  claimed(generation: number, nextAt: Date | null): void {
    if (generation !== this.generation) return;
    this.dueAt = nextAt ? nextAt.getTime() : Infinity;
    this.timer?.cancel();
    this.timer = nextAt
      ? this.clock.setTimer(() => {
          this.timer = null;
          this.wake();
        }, nextAt.getTime() - this.clock.now())
      : null;
  }

  /** Cancels the timer (shutdown). */
  stop(): void {
    this.timer?.cancel();
    this.timer = null;
    this.dueAt = Infinity;
  }
}
