import { InvalidWebhookConfigError } from '../domain/webhook.error';
import { DEFAULT_WEBHOOK_CONFIG, fillDerivedCeilings } from './webhook-config.defaults';
import { CHECKS, SELF_DESCRIBED, WEBHOOK_CONFIG_KEYS } from './webhook-config.checks';
import { OPTIONAL_PORTAL_KEYS, portalConfigProblem, type PortalConfig } from './portal-config';
import type { WebhookConfig, WebhookModuleOptions } from './webhook-config.types';

export * from './webhook-config.types';
export { PORTAL_SECRET_MIN_LENGTH, type PortalConfig, type PortalTenantResolver, type PortalTheme } from './portal-config';
export { DEFAULT_WEBHOOK_CONFIG } from './webhook-config.defaults';
export { WEBHOOK_CONFIG_KEYS, webhookConfigProblem } from './webhook-config.checks';

/** Keys of earlier versions, with what replaced them. */
const REPLACED_KEYS: Record<string, string> = {
  retry_poll_interval_ms: "replaced by retry_cron, a cron expression with seconds (default '* * * * * *', every second)",
  retention_interval_ms: "replaced by retention_cron, a cron expression with seconds (default '0 0 * * * *', hourly)",
};

/**
 * Merges `options` over the defaults and validates every key. Throws {@link InvalidWebhookConfigError} naming
 * the first bad key and what it accepts. Used by both `forRoot` and `forRootAsync`.
 */
export function resolveWebhookConfig(options: WebhookModuleOptions | undefined | null): WebhookConfig {
  if (options != null && (typeof options !== 'object' || Array.isArray(options))) {
    throw new InvalidWebhookConfigError('options', 'must be an object of WebhookConfig keys');
  }
  const given: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options ?? {})) {
    if (value === undefined || key === 'isGlobal') continue;
    if (key in REPLACED_KEYS) throw new InvalidWebhookConfigError(key, REPLACED_KEYS[key]);
    if (!(key in CHECKS)) {
      throw new InvalidWebhookConfigError(key, `unknown key; known keys are ${WEBHOOK_CONFIG_KEYS.join(', ')}`);
    }
    given[key] = value;
  }
  const merged = { ...DEFAULT_WEBHOOK_CONFIG, ...given } as WebhookConfig;
  if (merged.lease_seconds === undefined) merged.lease_seconds = merged.delivery_timeout_seconds * 2;
  fillDerivedCeilings(merged);
  for (const key of WEBHOOK_CONFIG_KEYS) {
    const value = merged[key];
    if (value === undefined && (key === 'typeorm_data_source' || key === 'transaction_host' || OPTIONAL_PORTAL_KEYS.has(key as keyof PortalConfig))) continue;
    const problem = CHECKS[key](value);
    if (problem) throw new InvalidWebhookConfigError(key, SELF_DESCRIBED.has(key) ? problem : `${problem} (got ${describe(value)})`);
  }
  if (merged.retry_max_delay < merged.retry_base_delay) {
    throw new InvalidWebhookConfigError('retry_max_delay', `must be >= retry_base_delay (${merged.retry_base_delay})`);
  }
  if (merged.lease_seconds <= merged.delivery_timeout_seconds) {
    throw new InvalidWebhookConfigError('lease_seconds', `must be longer than delivery_timeout_seconds (${merged.delivery_timeout_seconds}) so a lease outlives its request`);
  }
  if (merged.transaction_host !== undefined && merged.store_backend !== 'typeorm') {
    throw new InvalidWebhookConfigError('transaction_host', "joins the app's TypeORM transactions, so it needs store_backend 'typeorm'");
  }
  if (merged.max_concurrent_per_endpoint_ceiling > merged.max_concurrent_deliveries) {
    throw new InvalidWebhookConfigError('max_concurrent_per_endpoint_ceiling', `must be <= max_concurrent_deliveries (${merged.max_concurrent_deliveries}): one endpoint cannot have more slots than the process`);
  }
  if (merged.signature_type === 'ed25519' && merged.signature_scheme !== 'standard-webhooks') {
    throw new InvalidWebhookConfigError('signature_type', "ed25519 signatures need signature_scheme 'standard-webhooks' (body-hmac is HMAC only)");
  }
  if (merged.signature_scheme === 'standard-webhooks' && merged.signature_algorithm !== 'sha256') {
    throw new InvalidWebhookConfigError('signature_algorithm', "Standard Webhooks signatures are HMAC-SHA256 only: use 'sha256', or set signature_scheme: 'body-hmac' for sha512");
  }
  const portal = portalConfigProblem(merged);
  if (portal) throw new InvalidWebhookConfigError(portal[0], portal[1]);
  return Object.freeze(merged);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return `function ${value.name}`;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
