import type { WebhookSubscription } from '../../lib/domain/types';

/** A stored subscription with the least set (all event types, active, no tenant), for unit tests of one class. */
export function subscriptionRecord(id: string, over: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return {
    subscription_id: id,
    url: 'https://x.example.com/',
    secret: 'whsec_eA==',
    event_types: null,
    active: true,
    description: null,
    tenant_id: null,
    created_at: new Date(0),
    metadata: {},
    ...over,
  };
}
