/** The public surface of the package: everything a host app or a receiver imports. */
export * from './config';
export * from './domain';
export * from './signing';
export * from './delivery';
export * from './subscriptions';
export * from './security';
export * from './admin';
export * from './stores/memory';
export * from './stores/typeorm';
export * from './webhook.constants';
export * from './webhook.module';
export { WEBHOOK_MODULE_OPTIONS, type WebhookModuleExtras } from './webhook.module-definition';
