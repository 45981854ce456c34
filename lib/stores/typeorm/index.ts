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
import type { MigrationInterface } from 'typeorm';
import { CreateWebhookTables1795800000000 } from './migrations/1795800000000-CreateWebhookTables';
import { AddSubscriptionControls1796000000000 } from './migrations/1796000000000-AddSubscriptionControls';
import { AddOrderedLanes1796200000000 } from './migrations/1796200000000-AddOrderedLanes';
import { AddObservability1796100000000 } from './migrations/1796100000000-AddObservability';
import { AddSignatureType1796300000000 } from './migrations/1796300000000-AddSignatureType';
import { AddPortalRevocations1796500000000 } from './migrations/1796500000000-AddPortalRevocations';
import { WebhookPortalRevocationEntity } from './webhook-portal-revocation.entity';
import { WebhookAttemptStatsEntity } from './webhook-attempt-stats.entity';
import { WebhookDeliveryAttemptEntity } from './webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';
import { WebhookEventEntity } from './webhook-event.entity';
import { AddSubscriptionChanges1795900000000 } from './migrations/1795900000000-AddSubscriptionChanges';
import { WebhookSubscriptionChangeEntity } from './webhook-subscription-change.entity';
import { WebhookLaneEntity } from './webhook-lane.entity';
import { WebhookRateLimitEntity } from './webhook-rate-limit.entity';
import { WebhookSubscriptionEntity } from './webhook-subscription.entity';

export { WebhookDataSourceRef } from './data-source.ref';
export { TypeOrmDeliveryStore } from './typeorm-delivery.store';
export { TypeOrmSubscriptionStore } from './typeorm-subscription.store';
export { createTypeOrmStores, type TypeOrmStores } from './typeorm-backend';
export { CreateWebhookTables1795800000000 } from './migrations/1795800000000-CreateWebhookTables';
export { AddSubscriptionChanges1795900000000 };
export { AddSubscriptionControls1796000000000 } from './migrations/1796000000000-AddSubscriptionControls';
export { AddObservability1796100000000 } from './migrations/1796100000000-AddObservability';
export { AddOrderedLanes1796200000000 };
export { AddSignatureType1796300000000 };
export { AddPortalRevocations1796500000000 };
export { TypeOrmPortalRevocationStore } from './typeorm-portal-revocation.store';
export {
  WebhookAttemptStatsEntity,
  WebhookDeliveryAttemptEntity,
  WebhookDeliveryEntity,
  WebhookEventEntity,
  WebhookLaneEntity,
  WebhookPortalRevocationEntity,
  WebhookRateLimitEntity,
  WebhookSubscriptionChangeEntity,
  WebhookSubscriptionEntity,
};

/** The webhook tables' entity classes: add them to your DataSource's `entities` (or use autoLoadEntities). */
export const WEBHOOK_ENTITIES: Array<new () => object> = [
  WebhookSubscriptionEntity,
  WebhookEventEntity,
  WebhookDeliveryEntity,
  WebhookDeliveryAttemptEntity,
  WebhookSubscriptionChangeEntity,
  WebhookRateLimitEntity,
  WebhookAttemptStatsEntity,
  WebhookLaneEntity,
  WebhookPortalRevocationEntity,
];

/** Migrations creating the webhook tables, oldest first: add them to your DataSource's `migrations`. */
export const WEBHOOK_MIGRATIONS: Array<new () => MigrationInterface> = [
  CreateWebhookTables1795800000000,
  AddSubscriptionChanges1795900000000,
  AddSubscriptionControls1796000000000,
  AddObservability1796100000000,
  AddOrderedLanes1796200000000,
  AddSignatureType1796300000000,
  AddPortalRevocations1796500000000,
];
