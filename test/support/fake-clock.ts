import type { Clock, TimerHandle } from '../../lib/delivery/engine/clock';

/** Lets pending promise callbacks run (one macrotask turn of the real event loop). */
export const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * A {@link Clock} whose time moves only when the test says: `flush()` runs deferred callbacks, `advance(ms)`
 * moves time forward, firing the timers that come due in order.
 */
export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void }> = [];
  private deferred: Array<{ seq: number; fn: () => void }> = [];

  constructor(start = Date.UTC(2031, 0, 1)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.t + Math.max(ms, 0), seq: ++this.seq, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((x) => x !== timer)) };
  }

  defer(fn: () => void): TimerHandle {
    const entry = { seq: ++this.seq, fn };
    this.deferred.push(entry);
    return { cancel: () => (this.deferred = this.deferred.filter((x) => x !== entry)) };
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Runs deferred callbacks, and lets the promises they start settle, until nothing is deferred. */
  async flush(): Promise<void> {
    for (let rounds = 0; rounds < 1000; rounds++) {
      await settle();
      if (this.deferred.length === 0) return;
      const due = this.deferred;
      this.deferred = [];
      for (const d of due) d.fn();
    }
    throw new Error('FakeClock.flush: deferred callbacks keep coming');
  }

  /** Moves time forward by `ms`, firing due timers in order (and flushing after each). */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    await this.flush();
    for (;;) {
      const next = this.timers.filter((x) => x.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.timers = this.timers.filter((x) => x !== next);
      this.t = Math.max(this.t, next.at);
      next.fn();
      await this.flush();
    }
    this.t = target;
    await this.flush();
  }
}
