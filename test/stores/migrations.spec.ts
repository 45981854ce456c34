import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { WEBHOOK_MIGRATIONS } from '../../lib/stores/typeorm';
import { closeTestDataSource, createTestDataSource, describeIfDatabase, type DatabaseKind } from '../support/databases';
import { runStoreContract } from './store-contract';
import { typeOrmHarness } from './typeorm-harness';

const TABLES = ['webhook_subscriptions', 'webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts', 'webhook_subscription_changes'];

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
        for (const table of TABLES) expect(await ds.createQueryRunner().hasTable(table)).toBe(true);
      });

      it('are recorded as run, and revert cleanly', async () => {
        expect(await ds.showMigrations()).toBe(false);
        for (let i = 0; i < WEBHOOK_MIGRATIONS.length; i++) await ds.undoLastMigration();
        for (const table of TABLES) expect(await ds.createQueryRunner().hasTable(table)).toBe(false);
        await ds.runMigrations();
        expect(await pendingSchemaChanges(ds)).toEqual([]);
      }, 120_000);
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
