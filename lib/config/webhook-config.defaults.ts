import { DEFAULT_PORTAL_CONFIG } from './portal-config';
import type { WebhookConfig } from './webhook-config.types';

/** Keys whose default is derived from other keys (filled in by `resolveWebhookConfig`). */
export type DerivedKey = 'lease_seconds' | 'retry_max_attempts_ceiling' | 'delivery_timeout_seconds_ceiling' | 'max_concurrent_per_endpoint_ceiling';

/** The default of every option (keys derived from others are filled in by the module). */
export const DEFAULT_WEBHOOK_CONFIG: Readonly<Omit<WebhookConfig, DerivedKey>> = Object.freeze({
  store_backend: 'memory',
  retry_max_attempts: 5,
  retry_base_delay: 1,
  retry_max_delay: 60,
  retry_backoff_factor: 2,
  retry_jitter: 0.2,
  retry_cron: '* * * * * *',
  secret_length: 32,
  secret_rotation_grace_hours: 24,
  delivery_timeout_seconds: 30,
  disable_after_consecutive_failures: 50,
  failure_window_hours: 24,
  signature_algorithm: 'sha256',
  signature_scheme: 'standard-webhooks',
  enable_admin: false,
  admin_prefix: 'webhooks',
  admin_guards: [],
  admin_allow_unguarded: false,
  admin_allowed_origins: [],
  delivery_log_retention_days: 30,
  retention_cron: '0 0 * * * *',
  signature_header: 'webhook-signature',
  event_type_header: 'webhook-event-type',
  event_id_header: 'webhook-id',
  timestamp_header: 'webhook-timestamp',
  allow_private_urls: false,
  allowed_hosts: [],
  max_payload_bytes: 262_144,
  max_response_bytes: 65_536,
  max_concurrent_deliveries: 64,
  max_concurrent_per_endpoint: 8,
  claim_batch_size: 100,
  shutdown_timeout_seconds: 10,
  user_agent: 'nestjs-webhooks',
  keep_alive_max_timeout_seconds: 30,
  secret_encryption_keys: [],
  signature_type: 'hmac-sha256',
  subscription_cache_ms: 1000,
  http_client: 'undici',
  propagate_trace_context: false,
  health_max_queue_lag_seconds: 300,
  event_catalog: [],
  allow_unlisted_event_types: false,
  ...DEFAULT_PORTAL_CONFIG,
});

/** Ceilings left unset follow the module's own values (see their docs). */
export function fillDerivedCeilings(merged: WebhookConfig): void {
  const m = merged as Partial<WebhookConfig> & WebhookConfig;
  if (m.retry_max_attempts_ceiling === undefined) m.retry_max_attempts_ceiling = Math.max(25, Number.isInteger(m.retry_max_attempts) ? m.retry_max_attempts : 0);
  if (m.delivery_timeout_seconds_ceiling === undefined) m.delivery_timeout_seconds_ceiling = Math.max(60, Number.isFinite(m.delivery_timeout_seconds) ? m.delivery_timeout_seconds : 0);
  if (m.max_concurrent_per_endpoint_ceiling === undefined) m.max_concurrent_per_endpoint_ceiling = Math.max(1, Math.floor((Number.isInteger(m.max_concurrent_deliveries) ? m.max_concurrent_deliveries : 2) / 2));
}
