/** Health indicator, endpoint stats and (when `@opentelemetry/api` is installed) traces and metrics. */
export { WebhookHealthIndicator, HEALTH_STORE_TIMEOUT_MS, type WebhookHealthDetails, type WebhookHealthResult } from './webhook-health.indicator';
export { WebhookStatsService, type OverallStats, type StatsRangeInfo, type SubscriptionStats } from './webhook-stats.service';
export { InvalidStatsWindowError, parseStatsWindow, type StatsWindow } from './stats-window';
export { QUEUE_READING_MAX_AGE_MS, type QueueReading } from './queue-monitor';
