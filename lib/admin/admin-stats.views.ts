import type { AttemptStats } from '../domain/stats';
import type { OverallStats, StatsRangeInfo, SubscriptionStats } from '../observability/webhook-stats.service';

/** {@link AttemptStats} and its window as the admin API returns them (dates as ISO strings). */
export interface AttemptStatsView extends Omit<AttemptStats, 'last_success_at' | 'series'> {
  window: string;
  bucket: string;
  since: string;
  until: string;
  last_success_at: string | null;
  series: Array<{ start: string; attempts: number; failed: number }>;
}

/** `GET /<prefix>/subscriptions/:id/stats`. */
export interface SubscriptionStatsView extends AttemptStatsView {
  subscription_id: string;
  active: boolean;
  disabled_reason: string | null;
}

/** `GET /<prefix>/stats`. */
export interface OverallStatsView extends AttemptStatsView {
  queue_lag_seconds: number;
  pending: number;
  dead_letters: number;
}

function toStatsView(s: AttemptStats & StatsRangeInfo): AttemptStatsView {
  return {
    window: s.window,
    bucket: s.bucket,
    since: s.since.toISOString(),
    until: s.until.toISOString(),
    attempts: s.attempts,
    delivered: s.delivered,
    failed: s.failed,
    success_rate: s.success_rate,
    p50_ms: s.p50_ms,
    p95_ms: s.p95_ms,
    last_success_at: s.last_success_at ? s.last_success_at.toISOString() : null,
    consecutive_failures: s.consecutive_failures,
    series: s.series.map((b) => ({ start: b.start.toISOString(), attempts: b.attempts, failed: b.failed })),
  };
}

export function toSubscriptionStatsView(s: SubscriptionStats): SubscriptionStatsView {
  return { subscription_id: s.subscription_id, active: s.active, disabled_reason: s.disabled_reason, ...toStatsView(s) };
}

export function toOverallStatsView(s: OverallStats): OverallStatsView {
  return { ...toStatsView(s), queue_lag_seconds: Math.round(s.queue_lag_seconds * 1000) / 1000, pending: s.pending, dead_letters: s.dead_letters };
}
