import { eventCatalogProblem } from '../catalog/catalog-entries';
import { SIGNATURE_TYPES } from '../domain/types';
import { between, bool, cron, encryptionKeys, headerName, nonEmptyString, nonNegativeInt, nonNegativeNumber, oneOf, origins, positiveInt, positiveNumber, stringArray, type Check } from './config-rules';
import { PORTAL_CHECKS, SELF_DESCRIBED_PORTAL_KEYS } from './portal-config';
import type { TransactionHostLike, WebhookConfig } from './webhook-config.types';

/** The check of every key, which the compiler keeps complete. */
export const CHECKS: Record<keyof WebhookConfig, Check> = {
  store_backend: oneOf('memory', 'typeorm'),
  typeorm_data_source: nonEmptyString,
  transaction_host: (v) =>
    typeof v === 'function' || typeof v === 'string' || typeof v === 'symbol' || (typeof v === 'object' && v !== null && typeof (v as TransactionHostLike).isTransactionActive === 'function')
      ? null
      : 'must be TransactionHost from @nestjs-cls/transactional (the class, its injection token, or the instance)',
  retry_max_attempts: positiveInt,
  retry_base_delay: positiveNumber,
  retry_max_delay: positiveNumber,
  retry_backoff_factor: (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 1 ? null : 'must be a number >= 1'),
  retry_jitter: between(0, 1),
  retry_cron: cron,
  secret_length: (v) => (Number.isInteger(v) && (v as number) >= 16 && (v as number) <= 64 ? null : 'must be an integer between 16 and 64'),
  secret_rotation_grace_hours: nonNegativeNumber,
  delivery_timeout_seconds: positiveNumber,
  lease_seconds: positiveNumber,
  disable_after_consecutive_failures: nonNegativeInt,
  failure_window_hours: positiveNumber,
  signature_algorithm: oneOf('sha256', 'sha512'),
  signature_scheme: oneOf('standard-webhooks', 'body-hmac'),
  enable_admin: bool,
  admin_prefix: (v) => (typeof v === 'string' && /^[A-Za-z0-9/_-]*$/.test(v) ? null : 'must be a route prefix such as "webhooks"'),
  admin_guards: (v) => (Array.isArray(v) ? null : 'must be an array of guard classes or instances'),
  admin_allow_unguarded: bool,
  admin_allowed_origins: origins,
  delivery_log_retention_days: nonNegativeNumber,
  retention_cron: cron,
  signature_header: headerName,
  event_type_header: headerName,
  event_id_header: headerName,
  timestamp_header: headerName,
  allow_private_urls: bool,
  allowed_hosts: stringArray,
  max_payload_bytes: positiveInt,
  max_response_bytes: positiveInt,
  max_concurrent_deliveries: positiveInt,
  max_concurrent_per_endpoint: positiveInt,
  retry_max_attempts_ceiling: positiveInt,
  delivery_timeout_seconds_ceiling: positiveNumber,
  max_concurrent_per_endpoint_ceiling: positiveInt,
  claim_batch_size: positiveInt,
  shutdown_timeout_seconds: nonNegativeNumber,
  user_agent: nonEmptyString,
  keep_alive_max_timeout_seconds: positiveNumber,
  secret_encryption_keys: encryptionKeys,
  signature_type: oneOf(...SIGNATURE_TYPES),
  subscription_cache_ms: nonNegativeInt,
  http_client: oneOf('undici', 'http-service'),
  propagate_trace_context: bool,
  health_max_queue_lag_seconds: nonNegativeNumber,
  event_catalog: eventCatalogProblem,
  allow_unlisted_event_types: bool,
  ...PORTAL_CHECKS,
};

/** Keys whose problems name the part at fault themselves (their whole value would be noise after "got"). */
export const SELF_DESCRIBED: ReadonlySet<keyof WebhookConfig> = new Set(['event_catalog', 'secret_encryption_keys', ...SELF_DESCRIBED_PORTAL_KEYS]);

/**
 * What is wrong with `value` for the config key `key`, by the same check `resolveWebhookConfig` applies (so that
 * per-subscription overrides keep the module's bounds), or null when it is fine.
 */
export function webhookConfigProblem(key: keyof WebhookConfig, value: unknown): string | null {
  return CHECKS[key](value);
}

/** The documented keys, for error messages. */
export const WEBHOOK_CONFIG_KEYS = Object.keys(CHECKS) as Array<keyof WebhookConfig>;
