/**
 * The receiving side: a module, a guard and decorators for a NestJS app that receives webhooks. The TypeORM
 * replay store is exported from `nestjs-webhooks/typeorm` (typeorm is an optional peer).
 */
export { WebhookReceiverModule } from './webhook-receiver.module';
export { WEBHOOK_RECEIVER_MODULE_OPTIONS, type WebhookReceiverModuleExtras } from './webhook-receiver.module-definition';
export { resolveReceiverOptions, type WebhookReceiverConfig, type WebhookReceiverKeys, type WebhookReceiverOptions, type WebhookSecretResolver } from './webhook-receiver.options';
export { WEBHOOK_RECEIVER_CONFIG } from './webhook-receiver.constants';
export { WebhookSignatureGuard } from './webhook-signature.guard';
export { WebhookSignatureVerifier, type VerifiedWebhook, type WebhookVerdict } from './webhook-signature.verifier';
export { WebhookReceiver, WebhookEvent } from './webhook-receiver.decorators';
export type { ReceivedWebhookEvent } from './received-event';
export type { WebhookRefusal, WebhookRefusalReason } from './webhook-refusal';
export type { ReceiverScheme } from './receiver-keys';
export type { WebhookReplayStore } from './webhook-replay.store';
export { MemoryReplayStore, type MemoryReplayStoreOptions } from './memory-replay.store';
export { InvalidWebhookReceiverOptionError } from './receiver-option.error';
