/** A pending timer of a {@link Clock}: opaque to its users. */
export interface TimerHandle {
  readonly cancel: () => void;
}

/**
 * Time and timers as the engine sees them: the system's in production, a fake one in unit tests (so the claim
 * loop, retry timers and leases can be tested without waiting).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Runs `fn` after `ms` milliseconds. */
  setTimer(fn: () => void, ms: number): TimerHandle;
  /** Runs `fn` once the current I/O callbacks are done (wakes of one tick then share one run). */
  defer(fn: () => void): TimerHandle;
}

/** The real clock: `Date.now`, `setTimeout`, `setImmediate`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const t = setTimeout(fn, Math.max(ms, 0));
    return { cancel: () => clearTimeout(t) };
  },
  defer(fn) {
    const i = setImmediate(fn);
    return { cancel: () => clearImmediate(i) };
  },
};
