import { STATS_SLICE_MS } from '../domain/stats';
import { WebhookError } from '../domain/webhook.error';

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION = /^([1-9][0-9]{0,5})([mhd])$/;
/** Longest window: a bit over a year (stats are purged with the attempts, after `delivery_log_retention_days`). */
const MAX_WINDOW_MS = 400 * UNIT_MS.d;
/** Most series buckets in one answer. */
const MAX_BUCKETS = 1000;
/** Buckets the default bucket size aims for at most. */
const DEFAULT_MAX_BUCKETS = 36;
/** Bucket sizes preferred as defaults, smallest first. */
const NICE_BUCKETS_MS = ['5m', '10m', '15m', '30m', '1h', '2h', '3h', '6h', '12h', '1d', '7d'].map((d) => parseDuration(d)!);

/** A stats window or bucket size that cannot be used; `field` is `window` or `bucket`. */
export class InvalidStatsWindowError extends WebhookError {
  constructor(
    /** The parameter at fault. */
    readonly field: 'window' | 'bucket',
    message: string,
  ) {
    super(message, 'INVALID_STATS_WINDOW');
  }
}

/** A validated stats window: its length, its series bucket size, and their names. */
export interface StatsWindow {
  /** As given (`24h`). */
  window: string;
  /** As given or chosen (`1h`). */
  bucket: string;
  window_ms: number;
  bucket_ms: number;
}

/** `5m`, `24h`, `7d` in ms; null when it is not such a duration. */
export function parseDuration(text: string): number | null {
  const m = DURATION.exec(text);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : null;
}

/** A duration in the largest unit that divides it (`86400000` -> `1d`). */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm']) if (ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  return `${ms}ms`;
}

/**
 * Validates `window` (default `24h`) and `bucket` (default: a round size giving at most 36 buckets): durations such
 * as `90m`, `24h`, `7d`, whole multiples of 5 minutes (the stats slice), the window at most 400 days and a whole
 * number of buckets, at most 1000. Throws {@link InvalidStatsWindowError} saying what is accepted.
 */
export function parseStatsWindow(window = '24h', bucket?: string): StatsWindow {
  const windowMs = parseDuration(window);
  if (windowMs === null) throw new InvalidStatsWindowError('window', `window must be a duration such as 1h, 24h or 7d (a number followed by m, h or d), got ${JSON.stringify(window)}`);
  if (windowMs % STATS_SLICE_MS !== 0) throw new InvalidStatsWindowError('window', `window must be a whole number of 5-minute slices (5m, 90m, 24h...), got ${window}`);
  if (windowMs > MAX_WINDOW_MS) throw new InvalidStatsWindowError('window', `window must be at most 400d, got ${window}`);
  if (bucket === undefined) {
    const bucketMs = defaultBucket(windowMs);
    return { window, bucket: formatDuration(bucketMs), window_ms: windowMs, bucket_ms: bucketMs };
  }
  const bucketMs = parseDuration(bucket);
  if (bucketMs === null) throw new InvalidStatsWindowError('bucket', `bucket must be a duration such as 5m, 1h or 1d, got ${JSON.stringify(bucket)}`);
  if (bucketMs % STATS_SLICE_MS !== 0) throw new InvalidStatsWindowError('bucket', `bucket must be a whole number of 5-minute slices (5m, 15m, 1h...), got ${bucket}`);
  if (bucketMs > windowMs || windowMs % bucketMs !== 0) throw new InvalidStatsWindowError('bucket', `bucket must divide the window (${window}) evenly, got ${bucket}`);
  if (windowMs / bucketMs > MAX_BUCKETS) throw new InvalidStatsWindowError('bucket', `bucket ${bucket} makes ${windowMs / bucketMs} buckets of ${window}: at most ${MAX_BUCKETS} are allowed`);
  return { window, bucket, window_ms: windowMs, bucket_ms: bucketMs };
}

/** The start of the series of a window ending now: buckets are aligned to multiples of their size (UTC), the last one is the current one. */
export function windowStart(w: StatsWindow, now: number): Date {
  return new Date(Math.floor(now / w.bucket_ms) * w.bucket_ms - w.window_ms + w.bucket_ms);
}

function defaultBucket(windowMs: number): number {
  const nice = NICE_BUCKETS_MS.find((b) => windowMs % b === 0 && windowMs / b <= DEFAULT_MAX_BUCKETS);
  if (nice) return nice;
  // the smallest whole number of slices that divides the window into few enough buckets
  const slices = windowMs / STATS_SLICE_MS;
  for (let k = Math.ceil(slices / DEFAULT_MAX_BUCKETS); k <= slices; k++) if (slices % k === 0) return k * STATS_SLICE_MS;
  return windowMs;
}
