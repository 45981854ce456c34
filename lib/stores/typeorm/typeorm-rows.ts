import type { NewDelivery } from '../../domain/stores';
import type { DeliveryAttempt, DeliveryRecord, StoredEvent } from '../../domain/types';
import type { WebhookDeliveryAttemptEntity } from './webhook-delivery-attempt.entity';
import type { WebhookDeliveryEntity } from './webhook-delivery.entity';
import type { WebhookEventEntity } from './webhook-event.entity';

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
}

/** The rows of one event's deliveries, all due when the event was accepted (leased ones held by their lease). */
export function deliveryRows(event: StoredEvent, deliveries: readonly NewDelivery[]): NewDeliveryRow[] {
  return deliveries.map((d) => ({
    delivery_id: d.delivery_id,
    subscription_id: d.subscription_id,
    event_id: event.event_id,
    event_type: event.event_type,
    at: event.created_at,
    locked_by: d.lease?.worker_id ?? null,
    locked_until: d.lease?.until ?? null,
  }));
}
