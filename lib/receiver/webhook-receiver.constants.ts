/** Where the guard leaves the verified request for `@WebhookEvent()` (a symbol, so no app property clashes). */
export const VERIFIED_WEBHOOK = Symbol.for('nestjs-webhooks.verified-webhook');

/** Injection token of the receiver's checked options ({@link WebhookReceiverConfig}). */
export const WEBHOOK_RECEIVER_CONFIG = Symbol('WEBHOOK_RECEIVER_CONFIG');
