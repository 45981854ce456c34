import { Inject, Injectable } from '@nestjs/common';
import type { AttemptStats } from '../domain/stats';
import type { DeliveryLog, WebhookSubscriptionStore } from '../domain/stores';
import { SubscriptionNotFoundError } from '../domain/webhook.error';
import { printable } from '../domain/printable';
import { InjectWebhookDeliveryStore, InjectWebhookSubscriptionStore } from '../webhook.constants';
import { QueueMonitor } from './queue-monitor';
import { parseStatsWindow, windowStart, type StatsWindow } from './stats-window';

/** How old the queue reading in an overall stats answer may be (the gauges allow more: see `QueueMonitor`). */
const STATS_QUEUE_MAX_AGE_MS = 1000;

/** The window a stats answer covers: `since` is the start of its first bucket, `until` the end of its last (the current) one. */
export interface StatsRangeInfo {
  /** The window asked for (`24h`). */
  window: string;
  /** The series bucket size (`1h`). */
  bucket: string;
  /** Start of the first bucket. */
  since: Date;
  /** End of the last bucket. */
  until: Date;
}

/** One endpoint's health (`GET /<prefix>/subscriptions/:id/stats`). */
export interface SubscriptionStats extends AttemptStats, StatsRangeInfo {
  /** The endpoint. */
  subscription_id: string;
  /** Whether it is active. */
  active: boolean;
  /** Why the module deactivated it; null otherwise. */
  disabled_reason: string | null;
}

/** Every endpoint's attempts together, with the queue (`GET /<prefix>/stats`). */
export interface OverallStats extends AttemptStats, StatsRangeInfo {
  /** Seconds the oldest due delivery has waited (the queue is read at most once a second for these routes). */
  queue_lag_seconds: number;
  /** Deliveries waiting in the store. */
  pending: number;
  /** Deliveries currently dead-lettered. */
  dead_letters: number;
}

/**
 * Endpoint health over a window ending now (`window`: `1h`, `24h`, `7d`...; `bucket`: the series' bucket size,
 * chosen when omitted), computed by the store from its stats rows (see `DeliveryLog.attemptStats`). Throws
 * `InvalidStatsWindowError` for a window or bucket it cannot use.
 */
@Injectable()
export class WebhookStatsService {
  /** @internal Made by Nest's injector; its parameters are the module's internals. */
  constructor(
    @InjectWebhookDeliveryStore() private readonly log: Pick<DeliveryLog, 'attemptStats'>,
    @InjectWebhookSubscriptionStore() private readonly subscriptions: WebhookSubscriptionStore,
    @Inject(QueueMonitor) private readonly queue: QueueMonitor,
  ) {}

  /** One subscription's stats; throws `SubscriptionNotFoundError` when it does not exist. */
  async subscriptionStats(subscriptionId: string, window?: string, bucket?: string): Promise<SubscriptionStats> {
    const w = parseStatsWindow(window, bucket);
    const sub = typeof subscriptionId === 'string' && subscriptionId ? await this.subscriptions.get(subscriptionId) : null;
    if (!sub) throw new SubscriptionNotFoundError(printable(subscriptionId));
    const range = rangeOf(w);
    const stats = await this.log.attemptStats({ subscription_id: sub.subscription_id, since: range.since, until: range.until, bucket_ms: w.bucket_ms });
    return { subscription_id: sub.subscription_id, active: sub.active, disabled_reason: sub.disabled_reason ?? null, ...range, ...stats };
  }

  /** Every subscription's attempts together, with the queue lag. */
  async overallStats(window?: string, bucket?: string): Promise<OverallStats> {
    const w = parseStatsWindow(window, bucket);
    const range = rangeOf(w);
    const [stats, queue] = await Promise.all([this.log.attemptStats({ since: range.since, until: range.until, bucket_ms: w.bucket_ms }), this.queue.read(STATS_QUEUE_MAX_AGE_MS)]);
    return { ...range, ...stats, queue_lag_seconds: queue.lag_seconds, pending: queue.pending, dead_letters: queue.dead_letters };
  }
}

function rangeOf(w: StatsWindow): StatsRangeInfo {
  const since = windowStart(w, Date.now());
  return { window: w.window, bucket: w.bucket, since, until: new Date(since.getTime() + w.window_ms) };
}
