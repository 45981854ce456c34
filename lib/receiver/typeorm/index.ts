/**
 * The receiver's TypeORM replay store (`nestjs-webhooks/typeorm`): its entity, its own migration and the store.
 * Importing this loads `typeorm`, an optional peer of the package.
 */
import type { MigrationInterface } from 'typeorm';
import { CreateWebhookReceiverReplays1796250000000 } from './migrations/1796250000000-CreateWebhookReceiverReplays';
import { WebhookReceiverReplayEntity } from './webhook-receiver-replay.entity';

export { CreateWebhookReceiverReplays1796250000000, WebhookReceiverReplayEntity };
export { TypeOrmReplayStore, type TypeOrmReplayStoreOptions } from './typeorm-replay.store';

/** The receiver's entity: add it to your DataSource's `entities` to use `TypeOrmReplayStore`. */
export const WEBHOOK_RECEIVER_ENTITIES: Array<new () => object> = [WebhookReceiverReplayEntity];

/** The receiver's migrations, oldest first: add them to your DataSource's `migrations`. */
export const WEBHOOK_RECEIVER_MIGRATIONS: Array<new () => MigrationInterface> = [CreateWebhookReceiverReplays1796250000000];
