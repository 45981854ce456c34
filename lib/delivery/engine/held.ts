import type { DeliveryLease } from '../../domain/stores';
import type { ClaimedDelivery, StoredEvent, WebhookSubscription } from '../../domain/types';

/** A delivery this process holds (leased to it): claimed, or handed over by `dispatch()`. */
export interface Held {
  claimed: ClaimedDelivery;
  /** The subscription as read when it was claimed (null: read it when sending). */
  subscription: WebhookSubscription | null;
  /**
   * Read the subscription again before sending: it waited for a slot (up to a timeout, during which it may have
   * been disabled, deactivated or changed), or was handed over without it.
   */
  recheck: boolean;
}

/** A delivery just stored leased to this process by `dispatch()`: what a claim would have returned for it. */
export function handedOver(event: StoredEvent, deliveryId: string, subscriptionId: string, lease: DeliveryLease): Held {
  return {
    claimed: {
      event,
      delivery: {
        delivery_id: deliveryId,
        event_id: event.event_id,
        subscription_id: subscriptionId,
        event_type: event.event_type,
        status: 'pending',
        attempts: 0,
        next_attempt_at: event.created_at,
        locked_until: lease.until,
        locked_by: lease.worker_id,
        last_attempt_id: null,
        created_at: event.created_at,
        updated_at: event.created_at,
      },
    },
    subscription: null,
    recheck: true,
  };
}
