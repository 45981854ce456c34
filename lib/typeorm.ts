/**
 * `nestjs-webhooks/typeorm`: the TypeORM backend's entities and migrations (`store_backend: 'typeorm'`), and the
 * receiver's TypeORM replay store. Importing this loads `typeorm` and `@nestjs/typeorm`, optional peers of the
 * package, needed only by apps that use them. `npm run api:check` compares this surface with
 * `api/nestjs-webhooks-typeorm.api.md`.
 *
 * @packageDocumentation
 */

// The webhook tables: add WEBHOOK_MIGRATIONS to the DataSource's `migrations` (or WEBHOOK_ENTITIES with synchronize).
export {
  WEBHOOK_ENTITIES,
  WEBHOOK_MIGRATIONS,
  WebhookAttemptStatsEntity,
  WebhookDeliveryAttemptEntity,
  WebhookDeliveryEntity,
  WebhookEventEntity,
  WebhookLaneEntity,
  WebhookRateLimitEntity,
  WebhookSubscriptionChangeEntity,
  WebhookSubscriptionEntity,
  CreateWebhookTables1795800000000,
  AddSubscriptionChanges1795900000000,
  AddSubscriptionControls1796000000000,
  AddObservability1796100000000,
  AddOrderedLanes1796200000000,
  AddSignatureType1796300000000,
} from './stores/typeorm';

// The receiver's replay store, its entity and its migration.
export {
  WEBHOOK_RECEIVER_ENTITIES,
  WEBHOOK_RECEIVER_MIGRATIONS,
  WebhookReceiverReplayEntity,
  CreateWebhookReceiverReplays1796250000000,
  TypeOrmReplayStore,
  type TypeOrmReplayStoreOptions,
} from './receiver/typeorm';
