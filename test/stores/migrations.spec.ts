import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { TypeOrmSubscriptionStore, WEBHOOK_MIGRATIONS, WebhookDataSourceRef, WebhookSubscriptionEntity } from '../../lib/stores/typeorm';
import { closeTestDataSource, createTestDataSource, describeIfDatabase, type DatabaseKind } from '../support/databases';
import { runStoreContract } from './store-contract';
import { typeOrmHarness } from './typeorm-harness';

const TABLES = ['webhook_subscriptions', 'webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts', 'webhook_rate_limits', 'webhook_subscription_changes', 'webhook_lanes'];

/** Whether a table (and a column of it) exists, through a query runner that is released again. */
async function has(ds: DataSource, table: string, column?: string): Promise<boolean> {
  const runner = ds.createQueryRunner();
  try {
    return column ? await runner.hasColumn(table, column) : await runner.hasTable(table);
  } finally {
    await runner.release();
  }
}

/** SQL the schema builder would still run to make the database match the entities. */
async function pendingSchemaChanges(ds: DataSource): Promise<string[]> {
  const log = await ds.driver.createSchemaBuilder().log();
  return log.upQueries.map((q) => q.query);
}

const KINDS: Array<[DatabaseKind, string]> = [
  ['sqlite', 'SQLite'],
  ['postgres', 'PostgreSQL'],
  ['mariadb', 'MariaDB'],
];

for (const [kind, label] of KINDS) {
  describeIfDatabase(kind, `webhook tables on ${label}`, () => {
    describe('created by WEBHOOK_MIGRATIONS', () => {
      let ds: DataSource;
      beforeAll(async () => {
        ds = await createTestDataSource(kind, { namespace: `webhook_migrations_${kind}`, migrations: WEBHOOK_MIGRATIONS });
      });
      afterAll(async () => {
        await closeTestDataSource(ds);
      });

      it('match the entities exactly (synchronize finds nothing to change)', async () => {
        expect(await pendingSchemaChanges(ds)).toEqual([]);
        for (const table of TABLES) expect(await has(ds, table)).toBe(true);
      });

      it('are recorded as run, and revert cleanly', async () => {
        expect(await ds.showMigrations()).toBe(false);
        // Newest first: the lanes, the controls, then the change log, then the tables.
        await ds.undoLastMigration();
        expect(await has(ds, 'webhook_lanes')).toBe(false);
        expect(await has(ds, 'webhook_deliveries', 'lane_key')).toBe(false);
        expect(await has(ds, 'webhook_subscriptions', 'ordered')).toBe(false);
        await ds.undoLastMigration();
        expect(await has(ds, 'webhook_rate_limits')).toBe(false);
        expect(await has(ds, 'webhook_subscriptions', 'filter')).toBe(false);
        await ds.undoLastMigration();
        expect(await has(ds, 'webhook_subscription_changes')).toBe(false);
        await ds.undoLastMigration();
        for (const table of TABLES) expect(await has(ds, table)).toBe(false);
        await ds.runMigrations();
        expect(await pendingSchemaChanges(ds)).toEqual([]);
      }, 120_000);
    });

    describe('upgraded from the first migration', () => {
      let ds: DataSource;
      beforeAll(async () => {
        ds = await createTestDataSource(kind, { namespace: `webhook_upgrade_${kind}`, migrations: WEBHOOK_MIGRATIONS.slice(0, 1) });
      });
      afterAll(async () => {
        await closeTestDataSource(ds);
      });

      it('keeps existing subscriptions, which read back with no controls (the module config applies)', async () => {
        const subscriptions = new TypeOrmSubscriptionStore(WebhookDataSourceRef.of(ds));
        const old = { subscription_id: 'sub-before', url: 'https://a.example/', secret: 'whsec_x', event_types: null, active: true, description: null, tenant_id: null, created_at: new Date(), metadata: {} };
        // Written as the first release wrote it: only the columns of the first migration.
        await ds.createQueryBuilder().insert().into(WebhookSubscriptionEntity, Object.keys(old)).values(old).updateEntity(false).execute();
        // The later migrations, as an upgrade runs them.
        const runner = ds.createQueryRunner();
        try {
          for (const Later of WEBHOOK_MIGRATIONS.slice(1)) await new Later().up(runner);
        } finally {
          await runner.release();
        }
        expect(await pendingSchemaChanges(ds)).toEqual([]);
        expect(await subscriptions.get('sub-before')).toMatchObject({ subscription_id: 'sub-before', headers: {}, filter: null, retry_max_attempts: null, delivery_timeout_seconds: null, max_concurrent_per_endpoint: null, rate_limit_per_second: null, ordered: false });
      });
    });

    describe('created by synchronize', () => {
      let ds: DataSource;
      beforeAll(async () => {
        ds = await createTestDataSource(kind, { namespace: `webhook_sync_${kind}` });
      });
      afterAll(async () => {
        await closeTestDataSource(ds);
      });

      it('are stable (a second synchronize changes nothing)', async () => {
        expect(await pendingSchemaChanges(ds)).toEqual([]);
      });
    });

    runStoreContract(`TypeORM on ${label}, tables from migrations`, () =>
      typeOrmHarness(kind, { namespace: `webhook_migrated_${kind}`, migrations: WEBHOOK_MIGRATIONS }),
    );
  });
}
