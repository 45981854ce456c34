import type { WebhookConfig } from '../../config/webhook-config';

/** The config keys of the retry schedule (the ceiling of a subscription's own `retry_max_attempts` is optional: none). */
export type RetryConfig = Pick<WebhookConfig, 'retry_max_attempts' | 'retry_base_delay' | 'retry_max_delay' | 'retry_backoff_factor' | 'retry_jitter'> &
  Partial<Pick<WebhookConfig, 'retry_max_attempts_ceiling'>>;

/**
 * Delay before the retry that follows failed attempt number `attempt` (1-based):
 * `retry_base_delay * retry_backoff_factor^(attempt-1)` capped at `retry_max_delay`, spread by +/- `retry_jitter`
 * (never past the cap) so retries of one outage do not arrive together. `random` is injectable for tests.
 */
export function retryDelayMs(config: RetryConfig, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(config.retry_base_delay * Math.pow(config.retry_backoff_factor, Math.max(attempt - 1, 0)), config.retry_max_delay);
  const spread = base * config.retry_jitter * (random() * 2 - 1);
  return Math.round(Math.min(Math.max(base + spread, 0), config.retry_max_delay) * 1000);
}

/** Whether a failed attempt number `attempt` was the last one of its cycle. */
export function isLastAttempt(config: RetryConfig, attempt: number): boolean {
  return attempt >= config.retry_max_attempts;
}

/**
 * The retry schedule of a subscription: the module's, with its own `retry_max_attempts` when it has one, cut to
 * `retry_max_attempts_ceiling` (a value stored before the ceiling existed, or under a higher one).
 */
export function retryPolicyOf(config: RetryConfig, subscription: { retry_max_attempts?: number | null }): RetryConfig {
  const own = subscription.retry_max_attempts;
  return own == null ? config : { ...config, retry_max_attempts: Math.min(own, config.retry_max_attempts_ceiling ?? Infinity) };
}
