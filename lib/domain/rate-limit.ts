/**
 * The rate limit of one endpoint as a GCRA (generic cell rate algorithm), the token bucket kept as one number:
 * the theoretical arrival time `tat`, in microseconds since the epoch. Requests are spaced by the emission
 * interval `T = 1 s / per_second` (rounded up, so the rate never exceeds the limit) with a burst tolerance of
 * `burst - 1` intervals, so in any one-second window at most `per_second + burst - 1` requests are granted.
 * The burst is `1 + floor(per_second / 100)`: exactly the limit below 100/s, at most 1% over it above, and no
 * more than about 100 grants a second however high the limit (each grant is a claim). A grant is not yet a
 * request: what happens between the two (committing the claim, a busy event loop, the network) can move
 * requests a few milliseconds closer together at the receiver, which is what the 1% (and the claim's timing,
 * never early) leaves room for. Pure: the stores keep `tat` (the SQL ones in a row locked while a claim takes
 * tokens, so that all replicas share one bucket).
 */
export interface RateBucket {
  /** The limit, requests per second (an integer >= 1). */
  per_second: number;
  /** Theoretical arrival time, µs since the epoch; 0 for a bucket never used. */
  tat_us: number;
}

/** Requests one grant may hand out at once when the endpoint has been idle. */
export function rateBurst(perSecond: number): number {
  return 1 + Math.floor(perSecond / 100);
}

/** Microseconds between two requests at the limit (rounded up). */
export function emissionIntervalUs(perSecond: number): number {
  return Math.ceil(1_000_000 / perSecond);
}

function tolerance(bucket: RateBucket): number {
  return (rateBurst(bucket.per_second) - 1) * emissionIntervalUs(bucket.per_second);
}

/** How many of `want` requests may start at `nowUs`. */
export function tokensAvailable(bucket: RateBucket, nowUs: number, want: number): number {
  const start = Math.max(bucket.tat_us, nowUs);
  const slack = nowUs + tolerance(bucket) - start;
  if (slack < 0 || want <= 0) return 0;
  return Math.min(want, Math.floor(slack / emissionIntervalUs(bucket.per_second)) + 1);
}

/** The bucket's `tat_us` once `taken` requests started at `nowUs` (unchanged for none). */
export function tatAfter(bucket: RateBucket, nowUs: number, taken: number): number {
  return taken > 0 ? Math.max(bucket.tat_us, nowUs) + taken * emissionIntervalUs(bucket.per_second) : bucket.tat_us;
}

/** When (µs) the next request may start, with the bucket as it is; never before `nowUs`. */
export function nextTokenUs(bucket: RateBucket, nowUs: number): number {
  return Math.max(bucket.tat_us - tolerance(bucket), nowUs);
}
