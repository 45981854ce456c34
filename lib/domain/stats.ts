import type { DeliveryStatus } from './types';

/**
 * Endpoint health as the stores compute it. Attempts are counted in whole *slices* of {@link STATS_SLICE_MS}:
 * the SQL stores keep one row of counts per subscription, slice and duration class (written with each attempt),
 * so a query reads a few hundred rows however many attempts are stored.
 */

/** Length of one stats slice: 5 minutes. Windows and series buckets are whole multiples of it. */
export const STATS_SLICE_MS = 300_000;

/**
 * Upper bounds (exclusive, ms) of the duration classes percentiles are estimated from: class `i` holds durations
 * in [bound[i-1], bound[i]), the last class everything from 60 s. Neighbouring bounds are at most 1.5x apart, so
 * an estimated p50/p95 lies in the same class as the true value.
 */
export const DURATION_CLASS_BOUNDS_MS: readonly number[] = Object.freeze([
  1, 2, 3, 5, 7, 10, 15, 20, 30, 40, 50, 75, 100, 150, 200, 300, 400, 500, 750, 1000, 1500, 2000, 3000, 5000, 7500, 10_000, 15_000, 20_000, 30_000, 60_000,
]);

/** Number of duration classes (one more than bounds: the open-ended last one). */
export const DURATION_CLASSES = DURATION_CLASS_BOUNDS_MS.length + 1;

/** What {@link DeliveryLog.attemptStats} computes. */
export interface AttemptStatsQuery {
  /** One subscription's attempts; omitted: every subscription's. */
  subscription_id?: string;
  /** Start of the range (rounded down to a slice). */
  since: Date;
  /** End of the range (rounded up to a slice). */
  until: Date;
  /** Series bucket length: a positive multiple of the 5-minute slice (`STATS_SLICE_MS`); buckets start at `since` rounded down. */
  bucket_ms: number;
}

/** One bucket of a stats series. */
export interface StatsBucket {
  /** Start of the bucket. */
  start: Date;
  /** Attempts sent (delivered or failed). */
  attempts: number;
  /** Of them, failed. */
  failed: number;
}

/**
 * Attempts sent in a range (cancelled attempts, which were never sent, do not count) and what they say about
 * the endpoint(s).
 */
export interface AttemptStats {
  /** Attempts sent (delivered or failed). */
  attempts: number;
  /** Of them, delivered. */
  delivered: number;
  /** Failed attempts, retried or dead-lettered. */
  failed: number;
  /** delivered / attempts; null without attempts. */
  success_rate: number | null;
  /** Estimated median duration (interpolated within duration classes, `DURATION_CLASS_BOUNDS_MS`); null without attempts. */
  p50_ms: number | null;
  /** Estimated 95th percentile duration; null without attempts. */
  p95_ms: number | null;
  /** The last delivered attempt before the end of the range, however long ago; null if none is logged. */
  last_success_at: Date | null;
  /** Failed attempts in the range after its last success (the run auto-disable counts). */
  consecutive_failures: number;
  /** The range in buckets of `bucket_ms`, oldest first, empty ones included. */
  series: StatsBucket[];
}

/** The state of the delivery queue, for the gauges and the health indicator. */
export interface QueueSnapshot {
  /** Deliveries waiting: due now, leased, or scheduled for a retry. */
  pending: number;
  /** When the oldest delivery that is due now became due (queue lag = now minus this); null when none is due. */
  oldest_due_at: Date | null;
  /** Deliveries currently dead-lettered. */
  dead_letters: number;
}

/** Whether an attempt with this status was sent (and so counts in stats). */
export function isSentStatus(status: DeliveryStatus): boolean {
  return status === 'delivered' || status === 'failed' || status === 'dead_letter';
}

/** Whether an attempt with this status is a failure of its endpoint. */
export function isFailedStatus(status: DeliveryStatus): boolean {
  return status === 'failed' || status === 'dead_letter';
}

/** The duration class of `ms` (index into the histogram). */
export function durationClass(ms: number): number {
  const bounds = DURATION_CLASS_BOUNDS_MS;
  let lo = 0;
  let hi = bounds.length;
  // first bound greater than ms
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid] > ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Start (ms since the epoch) of the slice holding `ms`. */
export function sliceOf(ms: number): number {
  return Math.floor(ms / STATS_SLICE_MS) * STATS_SLICE_MS;
}

/**
 * The `p` quantile (0..1) estimated from counts per duration class: the class holding the rank, interpolated
 * linearly within its bounds (the open-ended last class reports its lower bound). Null for an empty histogram.
 */
export function percentileOf(histogram: readonly number[], p: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(p * total, Number.MIN_VALUE);
  let below = 0;
  for (let i = 0; i < histogram.length; i++) {
    const n = histogram[i];
    if (n > 0 && below + n >= rank) {
      const lo = i === 0 ? 0 : DURATION_CLASS_BOUNDS_MS[i - 1];
      if (i >= DURATION_CLASS_BOUNDS_MS.length) return lo;
      const hi = DURATION_CLASS_BOUNDS_MS[i];
      return Math.round((lo + ((hi - lo) * (rank - below)) / n) * 10) / 10;
    }
    below += n;
  }
  return DURATION_CLASS_BOUNDS_MS[DURATION_CLASS_BOUNDS_MS.length - 1];
}
