import {
  DURATION_CLASSES,
  durationClass,
  isFailedStatus,
  isSentStatus,
  percentileOf,
  sliceOf,
  STATS_SLICE_MS,
  type AttemptStats,
  type AttemptStatsQuery,
} from '../domain/stats';
import type { DeliveryAttempt } from '../domain/types';

/** The key of the rows counting every subscription's attempts (a real subscription id is never `*`). */
export const ALL_SUBSCRIPTIONS = '*';

/** One row of counts: a subscription (or {@link ALL_SUBSCRIPTIONS}), a slice, a duration class. */
export interface StatsRow {
  subscription_id: string;
  slice_start: Date;
  duration_class: number;
  attempts: number;
  delivered: number;
  failed: number;
}

/**
 * The rows a batch of attempts adds to (summed per key, for the subscription and for {@link ALL_SUBSCRIPTIONS}),
 * sorted by key so that concurrent writers lock rows in the same order. Attempts that were not sent add nothing.
 */
export function statsRowsOf(attempts: readonly DeliveryAttempt[]): StatsRow[] {
  const rows = new Map<string, StatsRow>();
  for (const a of attempts) {
    if (!isSentStatus(a.status)) continue;
    const slice = sliceOf(a.attempted_at.getTime());
    const cls = durationClass(a.duration_ms);
    for (const subscription_id of [a.subscription_id, ALL_SUBSCRIPTIONS]) {
      const key = `${subscription_id}\n${slice}\n${cls}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = { subscription_id, slice_start: new Date(slice), duration_class: cls, attempts: 0, delivered: 0, failed: 0 }));
      row.attempts++;
      if (a.status === 'delivered') row.delivered++;
      else row.failed++;
    }
  }
  return [...rows.values()].sort(
    (x, y) => (x.subscription_id < y.subscription_id ? -1 : x.subscription_id > y.subscription_id ? 1 : 0) || x.slice_start.getTime() - y.slice_start.getTime() || x.duration_class - y.duration_class,
  );
}

/** A stats query's range in whole slices, and its series buckets. */
export class StatsRange {
  /** First slice (inclusive), ms. */
  readonly start: number;
  /** End (exclusive), ms: `until` rounded up to a slice. */
  readonly end: number;
  readonly bucketMs: number;

  constructor(query: AttemptStatsQuery) {
    if (!(query.bucket_ms > 0) || query.bucket_ms % STATS_SLICE_MS !== 0) throw new RangeError(`bucket_ms must be a positive multiple of ${STATS_SLICE_MS}`);
    this.bucketMs = query.bucket_ms;
    this.start = sliceOf(query.since.getTime());
    const until = query.until.getTime();
    this.end = Math.max(sliceOf(until) + (until % STATS_SLICE_MS === 0 ? 0 : STATS_SLICE_MS), this.start);
  }

  /** Whether `ms` is inside the range. */
  includes(ms: number): boolean {
    return ms >= this.start && ms < this.end;
  }

  get buckets(): number {
    return Math.ceil((this.end - this.start) / this.bucketMs);
  }
}

/**
 * Adds up counts (per attempt, or per stored row) into {@link AttemptStats}: totals, a duration histogram for the
 * percentiles, and the series. Both store families fold into this, so they answer alike.
 */
export class StatsAccumulator {
  private readonly histogram = new Array<number>(DURATION_CLASSES).fill(0);
  private readonly seriesAttempts: number[];
  private readonly seriesFailed: number[];
  private attempts = 0;
  private delivered = 0;
  private failed = 0;

  constructor(readonly range: StatsRange) {
    this.seriesAttempts = new Array<number>(range.buckets).fill(0);
    this.seriesFailed = new Array<number>(range.buckets).fill(0);
  }

  /** Counts of one duration class (totals and percentiles). */
  addClass(cls: number, attempts: number, delivered: number, failed: number): void {
    this.histogram[Math.min(Math.max(cls, 0), DURATION_CLASSES - 1)] += attempts;
    this.attempts += attempts;
    this.delivered += delivered;
    this.failed += failed;
  }

  /** Counts of one slice (the series); slices outside the range are ignored. */
  addSlice(sliceStartMs: number, attempts: number, failed: number): void {
    const bucket = Math.floor((sliceStartMs - this.range.start) / this.range.bucketMs);
    if (bucket < 0 || bucket >= this.seriesAttempts.length) return;
    this.seriesAttempts[bucket] += attempts;
    this.seriesFailed[bucket] += failed;
  }

  /** One logged attempt (ignored unless it was sent and falls in the range). */
  addAttempt(a: DeliveryAttempt): void {
    if (!isSentStatus(a.status) || !this.range.includes(a.attempted_at.getTime())) return;
    const failed = isFailedStatus(a.status) ? 1 : 0;
    this.addClass(durationClass(a.duration_ms), 1, 1 - failed, failed);
    this.addSlice(sliceOf(a.attempted_at.getTime()), 1, failed);
  }

  /** Failed attempts added so far. */
  get failedCount(): number {
    return this.failed;
  }

  result(lastSuccessAt: Date | null, consecutiveFailures: number): AttemptStats {
    const { start, bucketMs } = this.range;
    return {
      attempts: this.attempts,
      delivered: this.delivered,
      failed: this.failed,
      success_rate: this.attempts > 0 ? this.delivered / this.attempts : null,
      p50_ms: percentileOf(this.histogram, 0.5),
      p95_ms: percentileOf(this.histogram, 0.95),
      last_success_at: lastSuccessAt,
      consecutive_failures: consecutiveFailures,
      series: this.seriesAttempts.map((attempts, i) => ({ start: new Date(start + i * bucketMs), attempts, failed: this.seriesFailed[i] })),
    };
  }
}
