import type { CanActivate, Type } from '@nestjs/common';
import { CronTime } from 'cron';
import { eventCatalogProblem } from '../catalog/catalog-entries';
import type { EventCatalogEntry } from '../catalog/event-catalog.types';
import { HEADER_NAME_PATTERN } from '../domain/custom-headers';
import { SIGNATURE_TYPES, type SignatureType } from '../domain/types';
import { InvalidWebhookConfigError } from '../domain/webhook.error';

/** Which signature scheme deliveries carry. */
export type SignatureScheme = 'standard-webhooks' | 'body-hmac';

/**
 * What `transaction_host` needs of `TransactionHost` from @nestjs-cls/transactional (with its TypeORM adapter):
 * whether a transaction is active in the current context, and its `EntityManager`.
 */
export interface TransactionHostLike {
  /** Whether a transaction runs in the current context. */ isTransactionActive(): boolean;
  /** The running transaction's `EntityManager`. */ readonly tx: unknown;
}

export type { SignatureType };

/** How deliveries are sent: undici directly (fast), or `HttpService` from @nestjs/axios (with its interceptors). */
export type HttpClientKind = 'undici' | 'http-service';

/** Configuration of `WebhookModule`; every key is optional in `forRoot` and defaults as documented. */
export interface WebhookConfig {
  /** `'memory'` (default; lost on restart) or `'typeorm'` (the host app's TypeORM connection). */
  store_backend: 'memory' | 'typeorm';
  /** TypeORM only: name of the host app's DataSource to use (default: the default DataSource). */
  typeorm_data_source?: string;
  /**
   * TypeORM only: `TransactionHost` of @nestjs-cls/transactional (the class, another injection token of it, or the
   * instance). Inside a `@Transactional()` method, `dispatch()` then joins the active transaction by itself, as if
   * its manager were passed. Default: none.
   */
  transaction_host?: TransactionHostLike | Type<unknown> | string | symbol;
  /** Tries per delivery cycle before it becomes a dead letter. Default 5. */
  retry_max_attempts: number;
  /** Seconds before the first retry. Default 1. */
  retry_base_delay: number;
  /** Upper bound of a retry delay, seconds. Default 60. */
  retry_max_delay: number;
  /** Growth of the delay per attempt. Default 2. */
  retry_backoff_factor: number;
  /** Random spread applied to each delay, 0..1 (0.2 = +/-20%). Default 0.2. */
  retry_jitter: number;
  /**
   * Cron expression (with seconds) of the retry processor, which picks up due retries and deliveries whose lease
   * expired because a process died. Default `'* * * * * *'` (every second).
   */
  retry_cron: string;
  /** Random bytes in a generated secret. Default 32. */
  secret_length: number;
  /** Hours the previous secret keeps signing after `rotateSecret`. Default 24. */
  secret_rotation_grace_hours: number;
  /** Whole-request timeout of one attempt, seconds. Default 30. */
  delivery_timeout_seconds: number;
  /** How long a claimed delivery stays leased to one replica, seconds. Default 2 x delivery_timeout_seconds. */
  lease_seconds: number;
  /** Failures in `failure_window_hours` (with no success between) that deactivate a subscription. Default 50. */
  disable_after_consecutive_failures: number;
  /** Default 24. */
  failure_window_hours: number;
  /** HMAC hash. `'sha256'` (default) or `'sha512'` (body-hmac scheme only). */
  signature_algorithm: 'sha256' | 'sha512';
  /** `'standard-webhooks'` (default) or `'body-hmac'` (GitHub-style `sha256=<hex>`). */
  signature_scheme: SignatureScheme;
  /** Register the admin controller and dashboard. Default false. */
  enable_admin: boolean;
  /** Route prefix of the admin API. Default `'webhooks'`. */
  admin_prefix: string;
  /**
   * Guards applied to every admin route (e.g. an auth guard). Default none: then `enable_admin: true` stops the app
   * at start-up unless `admin_allow_unguarded` is true.
   */
  admin_guards: Array<Type<CanActivate> | CanActivate>;
  /**
   * Start the admin routes with no `admin_guards` (a warning is logged), for apps that protect them in front of
   * Nest (a gateway, a private network). Default false: the app refuses to start.
   */
  admin_allow_unguarded: boolean;
  /**
   * Origins (`https://admin.example.com`) besides the request's own that may send state-changing admin requests,
   * for an admin front end on another origin. Default [] (same origin, or no `Origin` header, only).
   */
  admin_allowed_origins: string[];
  /** Days attempts and finished events are kept; 0 keeps forever. Default 30. */
  delivery_log_retention_days: number;
  /** Cron expression (with seconds) of the retention purge. Default `'0 0 * * * *'` (hourly). */
  retention_cron: string;
  /** Default `webhook-signature`. */
  signature_header: string;
  /** Default `webhook-event-type`. */
  event_type_header: string;
  /** Default `webhook-id`. */
  event_id_header: string;
  /** Default `webhook-timestamp`. */
  timestamp_header: string;
  /** Allow URLs that resolve to loopback/private/link-local addresses. Default false. */
  allow_private_urls: boolean;
  /** Hosts or CIDRs allowed even when private (e.g. `['10.0.0.0/8', 'hooks.internal']`). Default []. */
  allowed_hosts: string[];
  /** Largest serialized event body accepted by dispatch, bytes. Default 262144 (256 KiB). */
  max_payload_bytes: number;
  /** Most response-body bytes read per attempt (the rest is discarded). Default 65536. */
  max_response_bytes: number;
  /** Concurrent HTTP sends per process. Default 64. */
  max_concurrent_deliveries: number;
  /** Concurrent HTTP sends per subscription per process. Default 8. */
  max_concurrent_per_endpoint: number;
  /**
   * Highest `retry_max_attempts` a subscription may set for itself. Default 25 (or `retry_max_attempts`, if higher).
   */
  retry_max_attempts_ceiling: number;
  /**
   * Highest `delivery_timeout_seconds` a subscription may set for itself (it must also stay under `lease_seconds`).
   * Default 60 (or `delivery_timeout_seconds`, if higher).
   */
  delivery_timeout_seconds_ceiling: number;
  /**
   * Highest `max_concurrent_per_endpoint` a subscription may set for itself, so that one endpoint cannot hold every
   * delivery slot. At most `max_concurrent_deliveries`. Default half of `max_concurrent_deliveries` (at least 1).
   */
  max_concurrent_per_endpoint_ceiling: number;
  /** Deliveries claimed per query. Default 100. */
  claim_batch_size: number;
  /** How long `app.close()` waits for in-flight sends before releasing them, seconds. Default 10. */
  shutdown_timeout_seconds: number;
  /** `User-Agent` of deliveries. Default `nestjs-webhooks`. */
  user_agent: string;
  /**
   * Longest time an idle keep-alive socket to a receiver is kept open, seconds, whatever `Keep-Alive: timeout=`
   * the receiver asks for. Default 30.
   */
  keep_alive_max_timeout_seconds: number;
  /**
   * Keys that encrypt subscription secrets and custom header values at rest (AES-256-GCM), each the base64 of 32
   * random bytes (`openssl rand -base64 32`). The first encrypts; every key decrypts, so a new key goes first and
   * the old one stays until `WebhookSubscriptionService.reencryptSecrets()` has run. Default [] (stored as given).
   */
  secret_encryption_keys: string[];
  /**
   * How new subscriptions sign: `'hmac-sha256'` (default; a shared `whsec_` secret, `v1,` signatures) or
   * `'ed25519'` (a `whsk_` signing key, `v1a,` signatures that receivers check with the `whpk_` public key).
   * Standard Webhooks scheme only. A subscription may choose its own with its `signature_type` field.
   */
  signature_type: SignatureType;
  /**
   * `'undici'` (default): deliveries go straight through a keep-alive undici pool. `'http-service'`: every delivery
   * goes through the `HttpService` (@nestjs/axios) injectable as `WEBHOOK_HTTP_SERVICE`, so interceptors registered
   * on its `axiosRef` apply (at about half the throughput). With `'undici'`, registering an interceptor there throws.
   */
  http_client: HttpClientKind;
  /**
   * How long each process reuses its list of active subscriptions for matching and signing, ms (0 = read the
   * store every time). Changes made through this process apply at once; another replica's after at most this.
   * Default 1000.
   */
  subscription_cache_ms: number;
  /**
   * Send each attempt's OpenTelemetry trace context to receivers as a W3C `traceparent` (and `tracestate`) header,
   * so their spans join the trace. Needs `@opentelemetry/api` and an SDK. Default false.
   */
  propagate_trace_context: boolean;
  /**
   * `WebhookHealthIndicator` reports down when the oldest due delivery has waited longer than this, seconds (0 = lag
   * is not checked). Default 300.
   */
  health_max_queue_lag_seconds: number;
  /**
   * The event types this app sends, each with a payload schema (a class-validator class or a JSON Schema object),
   * an optional description and example. When it has entries, `dispatch()` refuses a payload that fails its type's
   * schema and a type that is not listed (see `allow_unlisted_event_types`), and subscriptions may only name
   * listed types or wildcards matching one. Default `[]`: no catalog, everything accepted.
   */
  event_catalog: readonly EventCatalogEntry[];
  /**
   * With an `event_catalog`: also accept event types it does not list (their payloads unchecked), in `dispatch()`
   * and in subscriptions. Default false. Without a catalog every type is accepted anyway.
   */
  allow_unlisted_event_types: boolean;
}

/** The options `forRoot` accepts: any subset of {@link WebhookConfig}. */
export type WebhookModuleOptions = Partial<WebhookConfig>;

/** Defaults of every key, in the one place they are filled in. */
/** Keys whose default is derived from other keys (filled in by `resolveWebhookConfig`). */
type DerivedKey = 'lease_seconds' | 'retry_max_attempts_ceiling' | 'delivery_timeout_seconds_ceiling' | 'max_concurrent_per_endpoint_ceiling';

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
});

type Check = (value: unknown) => string | null;

const positiveNumber: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'must be a number > 0');
const nonNegativeNumber: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'must be a number >= 0');
const positiveInt: Check = (v) => (Number.isInteger(v) && (v as number) > 0 ? null : 'must be an integer >= 1');
const nonNegativeInt: Check = (v) => (Number.isInteger(v) && (v as number) >= 0 ? null : 'must be an integer >= 0');
const bool: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');
const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    allowed.includes(v as string) ? null : `must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`;
const headerName: Check = (v) =>
  typeof v === 'string' && HEADER_NAME_PATTERN.test(v) ? null : 'must be a valid HTTP header name';
const nonEmptyString: Check = (v) => (typeof v === 'string' && v.trim().length > 0 ? null : 'must be a non-empty string');
const stringArray: Check = (v) => (Array.isArray(v) && v.every((x) => typeof x === 'string' && x.length > 0) ? null : 'must be an array of non-empty strings');
const cron: Check = (v) => {
  if (typeof v !== 'string' || v.trim() === '') return "must be a cron expression such as '* * * * * *' (second minute hour day month weekday)";
  try {
    new CronTime(v);
    return null;
  } catch (err) {
    return `is not a valid cron expression: ${(err as Error).message}`;
  }
};
const origins: Check = (v) => {
  if (!Array.isArray(v)) return 'must be an array of origins such as "https://admin.example.com"';
  for (const o of v) {
    let parsed: URL | null = null;
    try {
      parsed = typeof o === 'string' ? new URL(o) : null;
    } catch {
      parsed = null;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== o) return `must be an array of origins (scheme://host[:port], no path or trailing slash); ${JSON.stringify(o)} is not one`;
  }
  return null;
};
const encryptionKeys: Check = (v) => {
  if (!Array.isArray(v)) return 'must be an array of base64 strings of 32 random bytes each (openssl rand -base64 32)';
  for (let i = 0; i < v.length; i++) {
    const k = v[i];
    // Canonical base64 only, so that a truncated or mangled key is an error here rather than a different key.
    if (typeof k !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(k) || Buffer.from(k, 'base64').length !== 32) {
      return `entry ${i} is not the base64 of 32 bytes: make a key with \`openssl rand -base64 32\``;
    }
  }
  if (new Set(v).size !== v.length) return 'holds the same key twice';
  return null;
};
const between =
  (min: number, max: number): Check =>
  (v) =>
    typeof v === 'number' && v >= min && v <= max ? null : `must be a number between ${min} and ${max}`;

const CHECKS: Record<keyof WebhookConfig, Check> = {
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
};

/** Keys whose problems name the part at fault themselves (their whole value would be noise after "got"). */
const SELF_DESCRIBED: ReadonlySet<keyof WebhookConfig> = new Set(['event_catalog', 'secret_encryption_keys']);

/**
 * What is wrong with `value` for the config key `key`, by the same check `resolveWebhookConfig` applies (so that
 * per-subscription overrides keep the module's bounds), or null when it is fine.
 */
export function webhookConfigProblem(key: keyof WebhookConfig, value: unknown): string | null {
  return CHECKS[key](value);
}

/** Keys of earlier versions, with what replaced them. */
const REPLACED_KEYS: Record<string, string> = {
  retry_poll_interval_ms: "replaced by retry_cron, a cron expression with seconds (default '* * * * * *', every second)",
  retention_interval_ms: "replaced by retention_cron, a cron expression with seconds (default '0 0 * * * *', hourly)",
};

/** The documented keys, for error messages. */
export const WEBHOOK_CONFIG_KEYS = Object.keys(CHECKS) as Array<keyof WebhookConfig>;

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
    if (value === undefined && (key === 'typeorm_data_source' || key === 'transaction_host')) continue;
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
  return Object.freeze(merged);
}

/** Ceilings left unset follow the module's own values (see their docs). */
function fillDerivedCeilings(merged: WebhookConfig): void {
  const m = merged as Partial<WebhookConfig> & WebhookConfig;
  if (m.retry_max_attempts_ceiling === undefined) m.retry_max_attempts_ceiling = Math.max(25, Number.isInteger(m.retry_max_attempts) ? m.retry_max_attempts : 0);
  if (m.delivery_timeout_seconds_ceiling === undefined) m.delivery_timeout_seconds_ceiling = Math.max(60, Number.isFinite(m.delivery_timeout_seconds) ? m.delivery_timeout_seconds : 0);
  if (m.max_concurrent_per_endpoint_ceiling === undefined) m.max_concurrent_per_endpoint_ceiling = Math.max(1, Math.floor((Number.isInteger(m.max_concurrent_deliveries) ? m.max_concurrent_deliveries : 2) / 2));
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
