export { WebhookSubscriptionService, type CreateSubscriptionInput, type SendTestOptions, type UpdateSubscriptionInput } from './webhook-subscription.service';
export { MAX_EVENT_TYPES, MAX_METADATA_BYTES } from './subscription-validation';
