import type * as TypeOrmBackend from './typeorm';

/**
 * The TypeORM backend's exports, also offered from the package root for apps that import them from there. They
 * are getters that load `./typeorm` (and with it `typeorm`, an optional peer) on first use, so an app on the memory
 * store can import the root without TypeORM installed. The getters exist in the CommonJS build (the published
 * package); ES module consumers import `nestjs-webhooks/typeorm`, the documented path.
 */
const NAMES = [
  'WEBHOOK_ENTITIES',
  'WEBHOOK_MIGRATIONS',
  'WebhookSubscriptionEntity',
  'WebhookEventEntity',
  'WebhookDeliveryEntity',
  'WebhookDeliveryAttemptEntity',
  'WebhookRateLimitEntity',
  'WebhookAttemptStatsEntity',
  'CreateWebhookTables1795800000000',
  'AddSubscriptionChanges1795900000000',
  'WebhookSubscriptionChangeEntity',
  'AddSubscriptionControls1796000000000',
  'AddObservability1796100000000',
  'AddOrderedLanes1796200000000',
  'AddSignatureType1796300000000',
  'WebhookLaneEntity',
  'TypeOrmSubscriptionStore',
  'TypeOrmDeliveryStore',
  'WebhookDataSourceRef',
  // the receiver's replay store
  'TypeOrmReplayStore',
  'WebhookReceiverReplayEntity',
  'CreateWebhookReceiverReplays1796250000000',
  'WEBHOOK_RECEIVER_ENTITIES',
  'WEBHOOK_RECEIVER_MIGRATIONS',
] as const;

if (typeof exports === 'object' && exports !== null) {
  for (const name of NAMES) {
    Object.defineProperty(exports, name, {
      enumerable: true,
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      get: () => (require('./typeorm') as typeof TypeOrmBackend)[name],
    });
  }
}

export declare const WEBHOOK_ENTITIES: typeof TypeOrmBackend.WEBHOOK_ENTITIES;
export declare const WEBHOOK_MIGRATIONS: typeof TypeOrmBackend.WEBHOOK_MIGRATIONS;
export declare const WebhookSubscriptionEntity: typeof TypeOrmBackend.WebhookSubscriptionEntity;
export type WebhookSubscriptionEntity = TypeOrmBackend.WebhookSubscriptionEntity;
export declare const WebhookEventEntity: typeof TypeOrmBackend.WebhookEventEntity;
export type WebhookEventEntity = TypeOrmBackend.WebhookEventEntity;
export declare const WebhookDeliveryEntity: typeof TypeOrmBackend.WebhookDeliveryEntity;
export type WebhookDeliveryEntity = TypeOrmBackend.WebhookDeliveryEntity;
export declare const WebhookDeliveryAttemptEntity: typeof TypeOrmBackend.WebhookDeliveryAttemptEntity;
export type WebhookDeliveryAttemptEntity = TypeOrmBackend.WebhookDeliveryAttemptEntity;
export declare const WebhookRateLimitEntity: typeof TypeOrmBackend.WebhookRateLimitEntity;
export type WebhookRateLimitEntity = TypeOrmBackend.WebhookRateLimitEntity;
export declare const WebhookAttemptStatsEntity: typeof TypeOrmBackend.WebhookAttemptStatsEntity;
export type WebhookAttemptStatsEntity = TypeOrmBackend.WebhookAttemptStatsEntity;
export declare const CreateWebhookTables1795800000000: typeof TypeOrmBackend.CreateWebhookTables1795800000000;
export type CreateWebhookTables1795800000000 = TypeOrmBackend.CreateWebhookTables1795800000000;
export declare const AddSubscriptionChanges1795900000000: typeof TypeOrmBackend.AddSubscriptionChanges1795900000000;
export type AddSubscriptionChanges1795900000000 = TypeOrmBackend.AddSubscriptionChanges1795900000000;
export declare const WebhookSubscriptionChangeEntity: typeof TypeOrmBackend.WebhookSubscriptionChangeEntity;
export type WebhookSubscriptionChangeEntity = TypeOrmBackend.WebhookSubscriptionChangeEntity;
export declare const AddSubscriptionControls1796000000000: typeof TypeOrmBackend.AddSubscriptionControls1796000000000;
export type AddSubscriptionControls1796000000000 = TypeOrmBackend.AddSubscriptionControls1796000000000;
export declare const AddObservability1796100000000: typeof TypeOrmBackend.AddObservability1796100000000;
export type AddObservability1796100000000 = TypeOrmBackend.AddObservability1796100000000;
export declare const AddOrderedLanes1796200000000: typeof TypeOrmBackend.AddOrderedLanes1796200000000;
export type AddOrderedLanes1796200000000 = TypeOrmBackend.AddOrderedLanes1796200000000;
export declare const AddSignatureType1796300000000: typeof TypeOrmBackend.AddSignatureType1796300000000;
export type AddSignatureType1796300000000 = TypeOrmBackend.AddSignatureType1796300000000;
export declare const WebhookLaneEntity: typeof TypeOrmBackend.WebhookLaneEntity;
export type WebhookLaneEntity = TypeOrmBackend.WebhookLaneEntity;
export declare const TypeOrmSubscriptionStore: typeof TypeOrmBackend.TypeOrmSubscriptionStore;
export type TypeOrmSubscriptionStore = TypeOrmBackend.TypeOrmSubscriptionStore;
export declare const TypeOrmDeliveryStore: typeof TypeOrmBackend.TypeOrmDeliveryStore;
export type TypeOrmDeliveryStore = TypeOrmBackend.TypeOrmDeliveryStore;
export declare const WebhookDataSourceRef: typeof TypeOrmBackend.WebhookDataSourceRef;
export type WebhookDataSourceRef = TypeOrmBackend.WebhookDataSourceRef;
export declare const TypeOrmReplayStore: typeof TypeOrmBackend.TypeOrmReplayStore;
export type TypeOrmReplayStore = TypeOrmBackend.TypeOrmReplayStore;
export type TypeOrmReplayStoreOptions = TypeOrmBackend.TypeOrmReplayStoreOptions;
export declare const WebhookReceiverReplayEntity: typeof TypeOrmBackend.WebhookReceiverReplayEntity;
export type WebhookReceiverReplayEntity = TypeOrmBackend.WebhookReceiverReplayEntity;
export declare const CreateWebhookReceiverReplays1796250000000: typeof TypeOrmBackend.CreateWebhookReceiverReplays1796250000000;
export type CreateWebhookReceiverReplays1796250000000 = TypeOrmBackend.CreateWebhookReceiverReplays1796250000000;
export declare const WEBHOOK_RECEIVER_ENTITIES: typeof TypeOrmBackend.WEBHOOK_RECEIVER_ENTITIES;
export declare const WEBHOOK_RECEIVER_MIGRATIONS: typeof TypeOrmBackend.WEBHOOK_RECEIVER_MIGRATIONS;
