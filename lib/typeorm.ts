/**
 * `nestjs-webhooks/typeorm`: the tables of the TypeORM backend (`store_backend: 'typeorm'`) and the receiver's
 * TypeORM replay store. Importing this loads `typeorm` and `@nestjs/typeorm`, optional peers of the package, needed only by apps that
 * use it. The tables are made and changed by the package's migrations; their entity classes are internal.
 * `npm run api:check` compares this surface with `api/nestjs-webhooks-typeorm.api.md`.
 *
 * @packageDocumentation
 */

// The webhook tables: add WEBHOOK_MIGRATIONS to the DataSource's `migrations` and WEBHOOK_ENTITIES to its `entities`.
export { WEBHOOK_ENTITIES, WEBHOOK_MIGRATIONS } from './stores/typeorm';

// The receiver's replay store and its table.
export { WEBHOOK_RECEIVER_ENTITIES, WEBHOOK_RECEIVER_MIGRATIONS, TypeOrmReplayStore, type TypeOrmReplayStoreOptions } from './receiver/typeorm';
export type { WebhookReplayStore } from './receiver/webhook-replay.store';
