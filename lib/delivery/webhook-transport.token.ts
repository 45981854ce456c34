/** Injection token of the `WebhookTransport` deliveries and test sends go through (internal). */
export const WEBHOOK_TRANSPORT = Symbol('WEBHOOK_TRANSPORT');
