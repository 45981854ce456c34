import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { STATS_SLICE_MS } from '../../lib/domain/stats';
import type { DeliveryAttempt } from '../../lib/domain/types';
import {
  AddObservability1796100000000,
  CreateWebhookTables1795800000000,
  TypeOrmDeliveryStore,
  WEBHOOK_MIGRATIONS,
  WebhookAttemptStatsEntity,
  WebhookDataSourceRef,
  WebhookDeliveryAttemptEntity,
} from '../../lib/stores/typeorm';
import { closeTestDataSource, createTestDataSource, describeIfDatabase, type DatabaseKind } from '../support/databases';
import { runStoreContract } from './store-contract';
import { typeOrmHarness } from './typeorm-harness';

const TABLES = ['webhook_subscriptions', 'webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts', 'webhook_attempt_stats'];

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

      it('are recorded as run, and revert cleanly, one at a time', async () => {
        expect(await ds.showMigrations()).toBe(false);
        const runner = ds.createQueryRunner();
        try {
          await ds.undoLastMigration();
          expect(await runner.hasTable('webhook_attempt_stats')).toBe(false);
          expect(await runner.hasColumn('webhook_events', 'traceparent')).toBe(false);
          expect((await runner.getTable('webhook_delivery_attempts'))!.indices.map((i) => i.name)).not.toContain('IDX_webhook_attempts_type');
          expect(await runner.hasTable('webhook_events')).toBe(true);
          await ds.undoLastMigration();
          for (const table of TABLES) expect(await runner.hasTable(table)).toBe(false);
        } finally {
          await runner.release();
        }
        await ds.runMigrations();
        expect(await pendingSchemaChanges(ds)).toEqual([]);
      });
    });

    describe('AddObservability on a database with history', () => {
      let ds: DataSource;
      beforeAll(async () => {
        ds = await createTestDataSource(kind, { namespace: `webhook_backfill_${kind}`, migrations: [CreateWebhookTables1795800000000] });
      });
      afterAll(async () => {
        await closeTestDataSource(ds);
      });

      it('sums the attempts already logged into the stats', async () => {
        const slice = Math.floor(Date.parse('2031-02-03T04:05:06.789Z') / STATS_SLICE_MS) * STATS_SLICE_MS;
        const attempts: DeliveryAttempt[] = Array.from({ length: 12_345 }, (_, i) => ({
          attempt_id: `old-${i}`,
          subscription_id: `sub-${i % 3}`,
          event_id: `evt-${i}`,
          event_type: 'order.paid',
          status: i % 10 === 0 ? 'failed' : i % 100 === 1 ? 'cancelled' : 'delivered',
          status_code: 200,
          attempt_number: 1,
          attempted_at: new Date(slice + (i % 2) * STATS_SLICE_MS + i),
          next_retry_at: null,
          error_message: null,
          duration_ms: 20,
        }));
        const repo = ds.getRepository(WebhookDeliveryAttemptEntity);
        for (let i = 0; i < attempts.length; i += 500) await repo.insert(attempts.slice(i, i + 500));
        const runner = ds.createQueryRunner();
        try {
          await new AddObservability1796100000000().up(runner);
        } finally {
          await runner.release();
        }
        expect(await pendingSchemaChanges(ds)).toEqual([]);
        const store = new TypeOrmDeliveryStore(WebhookDataSourceRef.of(ds));
        const sent = attempts.filter((a) => a.status !== 'cancelled');
        const range = { since: new Date(slice), until: new Date(slice + 2 * STATS_SLICE_MS), bucket_ms: STATS_SLICE_MS };
        const all = await store.attemptStats(range);
        expect(all).toMatchObject({ attempts: sent.length, failed: sent.filter((a) => a.status === 'failed').length, p50_ms: expect.any(Number) });
        expect(all.series.map((b) => b.attempts)).toEqual([0, 1].map((k) => sent.filter((a) => a.attempted_at.getTime() - slice >= k * STATS_SLICE_MS && a.attempted_at.getTime() - slice < (k + 1) * STATS_SLICE_MS).length));
        const one = await store.attemptStats({ ...range, subscription_id: 'sub-1' });
        expect(one.attempts).toBe(sent.filter((a) => a.subscription_id === 'sub-1').length);
        // the rows summed by SQL are the very rows the stores add to: a new attempt in a summed slice adds no row
        const rows = () => ds.getRepository(WebhookAttemptStatsEntity).count();
        const before = await rows();
        await store.recordAttempt({ ...attempts[1], attempt_id: 'new-1', status: 'delivered' });
        expect(await rows()).toBe(before);
        expect((await store.attemptStats({ ...range, subscription_id: 'sub-1' })).attempts).toBe(one.attempts + 1);
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
