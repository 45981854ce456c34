import type { NewDelivery } from '../../domain/stores';
import type { DeliveryAttempt, DeliveryRecord, StoredEvent, WebhookSubscription } from '../../domain/types';
import { subscriptionControls } from '../../domain/subscription-controls';
import type { WebhookDeliveryAttemptEntity } from './webhook-delivery-attempt.entity';
import type { WebhookDeliveryEntity } from './webhook-delivery.entity';
import type { WebhookEventEntity } from './webhook-event.entity';
import type { WebhookSubscriptionEntity } from './webhook-subscription.entity';

/** Longest error message kept (MySQL TEXT holds 64 KiB; the same bound on every backend). */
const MAX_ERROR_MESSAGE = 16_000;

/** An event row and a StoredEvent hold the same fields: one copy serves both directions. */
export function copyEvent(e: StoredEvent | WebhookEventEntity): StoredEvent & WebhookEventEntity {
  return {
    event_id: e.event_id,
    event_type: e.event_type,
    body: e.body,
    occurred_at: e.occurred_at,
    source: e.source ?? null,
    created_at: e.created_at,
    traceparent: e.traceparent ?? null,
  };
}

/** A delivery row as the domain record (drivers may hand integers back as strings). */
export function deliveryFromRow(row: WebhookDeliveryEntity): DeliveryRecord {
  return {
    delivery_id: row.delivery_id,
    event_id: row.event_id,
    subscription_id: row.subscription_id,
    event_type: row.event_type,
    status: row.status,
    lane: row.lane_key ?? null,
    attempts: Number(row.attempts),
    next_attempt_at: row.next_attempt_at,
    locked_until: row.locked_until ?? null,
    locked_by: row.locked_by ?? null,
    last_attempt_id: row.last_attempt_id ?? null,
    created_at: row.created_at,
    updated_at: row.updated_at,
  };
}

/** An attempt row as the domain attempt. */
export function attemptFromRow(row: WebhookDeliveryAttemptEntity): DeliveryAttempt {
  return {
    attempt_id: row.attempt_id,
    subscription_id: row.subscription_id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    status_code: row.status_code ?? null,
    attempt_number: Number(row.attempt_number),
    attempted_at: row.attempted_at,
    next_retry_at: row.next_retry_at ?? null,
    error_message: row.error_message ?? null,
    duration_ms: Number(row.duration_ms),
  };
}

/** An attempt as its row is written (every backend, every path). */
export function attemptToRow(a: DeliveryAttempt): WebhookDeliveryAttemptEntity {
  return {
    attempt_id: a.attempt_id,
    subscription_id: a.subscription_id,
    event_id: a.event_id,
    event_type: a.event_type,
    status: a.status,
    status_code: a.status_code ?? null,
    attempt_number: a.attempt_number,
    attempted_at: a.attempted_at,
    next_retry_at: a.next_retry_at ?? null,
    error_message: a.error_message == null ? null : a.error_message.slice(0, MAX_ERROR_MESSAGE),
    duration_ms: Math.round(a.duration_ms),
  };
}

/** One new pending delivery row: due at `at`. */
export interface NewDeliveryRow {
  delivery_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  at: Date;
  locked_by: string | null;
  locked_until: Date | null;
  lane: string | null;
  /** Its place in its lane, given by `numberLanes` just before the insert (null: unordered). */
  lane_seq: number | null;
}

/**
 * The rows of one event's deliveries, all due when the event was accepted (leased ones held by their lease; a
 * laned one never is: it starts in its turn, through a claim).
 */
export function deliveryRows(event: StoredEvent, deliveries: readonly NewDelivery[]): NewDeliveryRow[] {
  return deliveries.map((d) => {
    const lane = d.lane ?? null;
    const lease = lane === null ? d.lease : null;
    return {
      delivery_id: d.delivery_id,
      subscription_id: d.subscription_id,
      event_id: event.event_id,
      event_type: event.event_type,
      at: event.created_at,
      locked_by: lease?.worker_id ?? null,
      locked_until: lease?.until ?? null,
      lane,
      lane_seq: null,
    };
  });
}

/** A subscription as its row is written. */
export function toSubscriptionRow(sub: WebhookSubscription): WebhookSubscriptionEntity {
  return {
    subscription_id: sub.subscription_id,
    url: sub.url,
    secret: sub.secret,
    signature_type: sub.signature_type ?? 'hmac-sha256',
    event_types: sub.event_types,
    active: sub.active,
    description: sub.description ?? null,
    tenant_id: sub.tenant_id ?? null,
    created_at: sub.created_at,
    metadata: sub.metadata ?? {},
    previous_secret: sub.previous_secret ?? null,
    previous_secret_expires_at: sub.previous_secret_expires_at ?? null,
    disabled_reason: sub.disabled_reason ?? null,
    headers: sub.headers && Object.keys(sub.headers).length > 0 ? sub.headers : null,
    ...subscriptionControls(sub),
  };
}

/** A subscription row as the domain subscription (SQLite hands booleans back as numbers). */
export function fromSubscriptionRow(row: WebhookSubscriptionEntity): WebhookSubscription {
  return {
    subscription_id: row.subscription_id,
    url: row.url,
    secret: row.secret,
    signature_type: row.signature_type ?? 'hmac-sha256',
    event_types: row.event_types ?? null,
    active: Boolean(row.active),
    description: row.description ?? null,
    tenant_id: row.tenant_id ?? null,
    created_at: row.created_at,
    metadata: row.metadata ?? {},
    previous_secret: row.previous_secret ?? null,
    previous_secret_expires_at: row.previous_secret_expires_at ?? null,
    disabled_reason: row.disabled_reason ?? null,
    headers: row.headers ?? {},
    filter: row.filter ?? null,
    retry_max_attempts: row.retry_max_attempts ?? null,
    // Drivers may return a numeric column as a string.
    delivery_timeout_seconds: row.delivery_timeout_seconds == null ? null : Number(row.delivery_timeout_seconds),
    max_concurrent_per_endpoint: row.max_concurrent_per_endpoint ?? null,
    rate_limit_per_second: row.rate_limit_per_second ?? null,
    ordered: Boolean(row.ordered),
  };
}
