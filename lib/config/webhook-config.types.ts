import type { CanActivate, Type } from '@nestjs/common';
import type { EventCatalogEntry } from '../catalog/event-catalog.types';
import type { SignatureType } from '../domain/types';
import type { PortalConfig } from './portal-config';

/** Which signature scheme deliveries carry. */
export type SignatureScheme = 'standard-webhooks' | 'body-hmac';

/**
 * What `transaction_host` needs of `TransactionHost` from @nestjs-cls/transactional (with its TypeORM adapter):
 * whether a transaction is active in the current context, and its `EntityManager`.
 */
export interface TransactionHostLike {
  /** Whether a transaction runs in the current context. */
  isTransactionActive(): boolean;
  /** The running transaction's `EntityManager`. */
  readonly tx: unknown;
}

export type { SignatureType };

/** How deliveries are sent: undici directly (fast), or `HttpService` from @nestjs/axios (with its interceptors). */
export type HttpClientKind = 'undici' | 'http-service';

/** Configuration of `WebhookModule`; every key is optional in `forRoot` and defaults as documented. */
export interface WebhookConfig extends PortalConfig {
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
