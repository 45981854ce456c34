import type { WebhookFilter } from '../domain/filter/webhook-filter';
import type { DeliveryAttempt, DeliveryRecord, StoredEvent, WebhookSubscription } from '../domain/types';
import type { SignatureType } from '../config/webhook-config';
import { subscriptionControls } from '../domain/subscription-controls';
import { SIGNING_KEY_PREFIX } from '../signing/ed25519';
import { publicKeyOf, signatureTypeOf } from '../subscriptions/subscription-keys';

/** A subscription as the admin API returns it: dates as ISO strings, `secret` masked unless just created or rotated. */
export interface SubscriptionView {
  subscription_id: string;
  url: string;
  /**
   * The full secret in the responses that create or rotate it (or change `signature_type`); `whsec_****abcd`
   * (`whsk_****abcd` for an ed25519 signing key) everywhere else.
   */
  secret: string;
  /** `'hmac-sha256'` or `'ed25519'`. */
  signature_type: SignatureType;
  /** The `whpk_` public key receivers verify ed25519 signatures with (public: shown in every response); null for HMAC. */
  public_key: string | null;
  event_types: string[] | null;
  active: boolean;
  description: string | null;
  tenant_id: string | null;
  created_at: string;
  metadata: Record<string, unknown>;
  /** Why the module deactivated it (auto-disable, 410 Gone), null otherwise. */
  disabled_reason: string | null;
  /** Until when the secret replaced by the last rotation still signs deliveries (the old secret itself is never shown). */
  previous_secret_expires_at: string | null;
  /** Custom request headers, values masked (`****` and at most the last 4 characters): they are credentials. */
  headers: Record<string, string>;
  filter: WebhookFilter | null;
  /** Overrides of the module config; null = the module's value. */
  retry_max_attempts: number | null;
  delivery_timeout_seconds: number | null;
  max_concurrent_per_endpoint: number | null;
  rate_limit_per_second: number | null;
  /** Ordered lanes: one ordering key's events one at a time. */
  ordered: boolean;
}

/** A delivery attempt as the admin API returns it (dates as ISO strings). */
export interface DeliveryAttemptView {
  attempt_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  status: DeliveryAttempt['status'];
  status_code: number | null;
  attempt_number: number;
  attempted_at: string;
  next_retry_at: string | null;
  error_message: string | null;
  duration_ms: number;
}

/** `GET /<prefix>/deliveries/:attempt_id`: the attempt, what was sent, and where its delivery stands now. */
export interface AttemptDetailView extends DeliveryAttemptView {
  /** The event's `payload` as sent; null once the event is purged. */
  payload: unknown;
  /** The delivery's current state in the queue; null once purged. */
  delivery: { status: DeliveryRecord['status']; attempts: number; next_attempt_at: string } | null;
}

/** `GET /<prefix>/health`. */
export interface AdminHealthView {
  total_subscriptions: number;
  active_subscriptions: number;
  dead_letter_count: number;
}

/**
 * `whsec_****` (`whsk_****` for an ed25519 signing key) followed by the last 4 characters: enough to tell secrets
 * apart, useless for signing.
 */
export function maskSecret(secret: string | null | undefined): string {
  if (!secret) return '';
  return `${secret.startsWith(SIGNING_KEY_PREFIX) ? SIGNING_KEY_PREFIX : 'whsec_'}****${secret.length > 12 ? secret.slice(-4) : ''}`;
}

/** A custom header's value as the admin API shows it: `****`, plus its last 4 characters when it is long. */
export function maskHeaderValue(value: string): string {
  return `****${value.length > 16 ? value.slice(-4) : ''}`;
}

function iso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const d = value instanceof Date ? value : new Date(value);
  return Number.isNaN(d.getTime()) ? String(value) : d.toISOString();
}

/**
 * Serializes a subscription; `reveal` (the secret) only for the responses that create or rotate it. Header values
 * are always masked; the public key is always shown.
 */
export function toSubscriptionView(sub: WebhookSubscription, reveal = false): SubscriptionView {
  return {
    subscription_id: sub.subscription_id,
    url: sub.url,
    secret: reveal ? sub.secret : maskSecret(sub.secret),
    signature_type: signatureTypeOf(sub),
    public_key: publicKeyOf(sub),
    event_types: sub.event_types ? [...sub.event_types] : null,
    active: sub.active,
    description: sub.description ?? null,
    tenant_id: sub.tenant_id ?? null,
    created_at: iso(sub.created_at) as string,
    metadata: sub.metadata ?? {},
    disabled_reason: sub.disabled_reason ?? null,
    previous_secret_expires_at: sub.previous_secret ? iso(sub.previous_secret_expires_at) : null,
    headers: Object.fromEntries(Object.entries(sub.headers ?? {}).map(([name, value]) => [name, maskHeaderValue(value)])),
    ...subscriptionControls(sub),
  };
}

/** Serializes a logged attempt. */
export function toAttemptView(a: DeliveryAttempt): DeliveryAttemptView {
  return {
    attempt_id: a.attempt_id,
    subscription_id: a.subscription_id,
    event_id: a.event_id,
    event_type: a.event_type,
    status: a.status,
    status_code: a.status_code ?? null,
    attempt_number: a.attempt_number,
    attempted_at: iso(a.attempted_at) as string,
    next_retry_at: iso(a.next_retry_at),
    error_message: a.error_message ?? null,
    duration_ms: a.duration_ms,
  };
}

/** Serializes one attempt with its event's payload and its delivery's state (either may be gone: purged). */
export function toAttemptDetailView(a: DeliveryAttempt, event: StoredEvent | null, delivery: DeliveryRecord | null): AttemptDetailView {
  return {
    ...toAttemptView(a),
    payload: event ? (JSON.parse(event.body) as { payload: unknown }).payload : null,
    delivery: delivery ? { status: delivery.status, attempts: delivery.attempts, next_attempt_at: iso(delivery.next_attempt_at) as string } : null,
  };
}
