/** The public surface of the package: everything a host app or a receiver imports. */
export * from './config';
export * from './catalog';
export * from './domain';
export * from './signing';
export * from './delivery';
export * from './subscriptions';
export * from './security';
export * from './observability';
export * from './admin';
export * from './stores/memory';
export * from './webhook.constants';
export * from './webhook.module';
export { WEBHOOK_MODULE_OPTIONS, type WebhookModuleExtras } from './webhook.module-definition';
// The TypeORM backend (`nestjs-webhooks/typeorm`), loaded on first use: typeorm is an optional peer.
export * from './typeorm-lazy';
// The receiving side. `WebhookEvent` is named here because it is both the event type (from ./domain, re-exported
// by ./receiver as the same type) and the receiver's parameter decorator.
export * from './receiver';
export { WebhookEvent } from './receiver';
