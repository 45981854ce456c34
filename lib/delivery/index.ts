export { WebhookDeliveryService, type DispatchOptions, type DispatchResult } from './webhook-delivery.service';
export { EVENT_ID_PATTERN } from './event-serializer';
