/**
 * The rate limit of one endpoint as a GCRA (generic cell rate algorithm), the token bucket kept as one number:
 * the theoretical arrival time `tat`, in microseconds since the epoch. Grants are spaced by the emission interval
 * `T = 1 s / (per_second x GRANT_SHARE)` (rounded up) with a burst tolerance of `burst - 1` intervals, so in any
 * one-second window at most `GRANT_SHARE x per_second + burst - 1` requests are granted. The burst is
 * `1 + floor(per_second / 100)`: none below 100/s, at most 1% of the limit above, and no more than about 100 grants
 * a second however high the limit (each grant is a claim). A grant is not yet a request: what happens between the
 * two (committing the claim, a busy event loop, the network) can bring requests closer together at the receiver,
 * which is what the rest of the limit leaves room for. Pure: the stores keep `tat` (the SQL ones in a row locked
 * while a claim takes tokens, so that all replicas share one bucket).
 */
export interface RateBucket {
  /** The limit, requests per second (an integer >= 1). */
  per_second: number;
  /** Theoretical arrival time, µs since the epoch; 0 for a bucket never used. */
  tat_us: number;
}

/**
 * The share of the limit that grants use. With grants at the full limit, three replicas sending at 50/s on this
 * project's loaded CI machine once put 56 requests in one one-second window at the receiver; at 90% the busiest
 * window stays under the limit with that much bunching.
 */
export const GRANT_SHARE = 0.9;

/** Requests one grant may hand out at once when the endpoint has been idle. */
export function rateBurst(perSecond: number): number {
  return 1 + Math.floor(perSecond / 100);
}

/** Microseconds between two grants (rounded up, so they never come faster than {@link GRANT_SHARE} of the limit). */
export function emissionIntervalUs(perSecond: number): number {
  return Math.ceil(1_000_000 / (perSecond * GRANT_SHARE));
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
