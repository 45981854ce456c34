import type { NewDelivery } from '../../domain/stores';
import type { DeliveryAttempt, DeliveryRecord, StoredEvent } from '../../domain/types';

/**
 * The memory store's copy of an accepted event: a literal of fixed shape, frozen (a spread copy gets its own hidden
 * class, tripling its size per pending event).
 */
export function frozenEvent(event: StoredEvent): StoredEvent {
  return Object.freeze({
    event_id: event.event_id,
    event_type: event.event_type,
    body: event.body,
    occurred_at: event.occurred_at,
    source: event.source,
    created_at: event.created_at,
    traceparent: event.traceparent ?? null,
  });
}

/**
 * A new pending delivery of `event`, due when the event was accepted (leased when it carries a lease, unless it is
 * laned: a laned delivery starts in its turn, through a claim).
 */
export function pendingRecord(event: StoredEvent, d: NewDelivery): DeliveryRecord {
  const lane = d.lane ?? null;
  const lease = lane === null ? d.lease : null;
  return {
    delivery_id: d.delivery_id,
    event_id: event.event_id,
    subscription_id: d.subscription_id,
    event_type: event.event_type,
    status: 'pending',
    lane,
    attempts: 0,
    next_attempt_at: event.created_at,
    locked_until: lease?.until ?? null,
    locked_by: lease?.worker_id ?? null,
    last_attempt_id: null,
    created_at: event.created_at,
    updated_at: event.created_at,
  };
}

/**
 * A copy of a logged attempt, of fixed shape: the one the log keeps, and each one it hands out (a spread copy is a
 * new hidden class per source shape, and slower to make).
 */
export function attemptCopy(a: DeliveryAttempt): DeliveryAttempt {
  return {
    attempt_id: a.attempt_id,
    subscription_id: a.subscription_id,
    event_id: a.event_id,
    event_type: a.event_type,
    status: a.status,
    status_code: a.status_code,
    attempt_number: a.attempt_number,
    attempted_at: a.attempted_at,
    next_retry_at: a.next_retry_at,
    error_message: a.error_message,
    duration_ms: a.duration_ms,
  };
}
