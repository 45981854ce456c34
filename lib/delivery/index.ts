export { WebhookDeliveryService, type DispatchResult } from './webhook-delivery.service';
export { EVENT_ID_PATTERN } from './event-serializer';
