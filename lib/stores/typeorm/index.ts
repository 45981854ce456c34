/**
 * The TypeORM backend of the webhook stores (`store_backend: 'typeorm'`), on the host app's DataSource:
 * PostgreSQL, MySQL 8 / MariaDB 10.6+ (`FOR UPDATE SKIP LOCKED`) or SQLite through better-sqlite3.
 *
 * Setup notes:
 * - Tables: add {@link WEBHOOK_MIGRATIONS} to the DataSource's `migrations` (recommended), or
 *   {@link WEBHOOK_ENTITIES} to `entities` with `synchronize`.
 * - Times are stored with millisecond precision. MySQL/MariaDB: set the connection's `timezone: 'Z'` so DATETIME
 *   columns hold UTC. PostgreSQL: the columns are `timestamp(3)` without time zone, which node-postgres writes and
 *   reads in the process's local time: run every replica with the same time zone, ideally `TZ=UTC`.
 * - MySQL/MariaDB ids: the migration gives id columns the `utf8mb4_bin` collation so ids are exact; tables made
 *   by `synchronize` use the database's collation (case-insensitive by default).
 * - SQLite: one process only; the stores serialize their own operations on the shared connection.
 */
import { CreateWebhookTables1795800000000 } from './migrations/1795800000000-CreateWebhookTables';
import { AddObservability1796100000000 } from './migrations/1796100000000-AddObservability';
import { WebhookAttemptStatsEntity } from './webhook-attempt-stats.entity';
import { WebhookDeliveryAttemptEntity } from './webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEventEntity } from './webhook-event.entity';
import { WebhookSubscriptionEntity } from './webhook-subscription.entity';

export { WebhookDataSourceRef } from './data-source.ref';
export { TypeOrmDeliveryStore } from './typeorm-delivery.store';
export { TypeOrmSubscriptionStore } from './typeorm-subscription.store';
export { createTypeOrmStores, type TypeOrmStores } from './typeorm-backend';
export { CreateWebhookTables1795800000000 } from './migrations/1795800000000-CreateWebhookTables';
export { AddObservability1796100000000 } from './migrations/1796100000000-AddObservability';
export { WebhookAttemptStatsEntity, WebhookDeliveryAttemptEntity, WebhookDeliveryEntity, WebhookEventEntity, WebhookSubscriptionEntity };

/** The webhook tables' entity classes: add them to your DataSource's `entities` (or use autoLoadEntities). */
export const WEBHOOK_ENTITIES = [WebhookSubscriptionEntity, WebhookEventEntity, WebhookDeliveryEntity, WebhookDeliveryAttemptEntity, WebhookAttemptStatsEntity];

/** Migrations creating the webhook tables, oldest first: add them to your DataSource's `migrations`. */
export const WEBHOOK_MIGRATIONS = [CreateWebhookTables1795800000000, AddObservability1796100000000];
