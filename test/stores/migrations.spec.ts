import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import { STATS_SLICE_MS } from '../../lib/domain/stats';
import type { DeliveryAttempt } from '../../lib/domain/types';
import {
  AddObservability1796100000000,
  TypeOrmDeliveryStore,
  TypeOrmSubscriptionStore,
  WEBHOOK_MIGRATIONS,
  WebhookAttemptStatsEntity,
  WebhookDataSourceRef,
  WebhookDeliveryAttemptEntity,
  WebhookSubscriptionEntity,
} from '../../lib/stores/typeorm';
import { closeTestDataSource, createTestDataSource, describeIfDatabase, type DatabaseKind } from '../support/databases';
import { runStoreContract } from './store-contract';
import { typeOrmHarness } from './typeorm-harness';

const TABLES = [
  'webhook_subscriptions',
  'webhook_events',
  'webhook_deliveries',
  'webhook_delivery_attempts',
  'webhook_rate_limits',
  'webhook_subscription_changes',
  'webhook_attempt_stats',
  'webhook_lanes',
  'webhook_portal_revocations',
];

/** Whether a table (and a column of it) exists, through a query runner that is released again. */
async function has(ds: DataSource, table: string, column?: string): Promise<boolean> {
  const runner = ds.createQueryRunner();
  try {
    return column ? await runner.hasColumn(table, column) : await runner.hasTable(table);
  } finally {
    await runner.release();
  }
}

/** The names of a table's indexes. */
async function indexesOf(ds: DataSource, table: string): Promise<string[]> {
  const runner = ds.createQueryRunner();
  try {
    return (await runner.getTable(table))!.indices.map((i) => i.name!);
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

      it('are recorded as run, and revert cleanly, one at a time', async () => {
        expect(await ds.showMigrations()).toBe(false);
        // Newest first: the portal revocations, the signature type, the lanes, observability, the controls, then the change log, then the tables.
        await ds.undoLastMigration();
        expect(await has(ds, 'webhook_portal_revocations')).toBe(false);
        expect(await has(ds, 'webhook_subscriptions', 'signature_type')).toBe(true);
        await ds.undoLastMigration();
        expect(await has(ds, 'webhook_subscriptions', 'signature_type')).toBe(false);
        expect(await has(ds, 'webhook_lanes')).toBe(true);
        await ds.undoLastMigration();
        expect(await has(ds, 'webhook_lanes')).toBe(false);
        expect(await has(ds, 'webhook_deliveries', 'lane_key')).toBe(false);
        expect(await has(ds, 'webhook_subscriptions', 'ordered')).toBe(false);
        await ds.undoLastMigration();
        expect(await has(ds, 'webhook_attempt_stats')).toBe(false);
        expect(await has(ds, 'webhook_events', 'traceparent')).toBe(false);
        expect(await indexesOf(ds, 'webhook_delivery_attempts')).not.toContain('IDX_webhook_attempts_type');
        expect(await has(ds, 'webhook_events')).toBe(true);
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
        expect(await subscriptions.get('sub-before')).toMatchObject({ subscription_id: 'sub-before', headers: {}, filter: null, retry_max_attempts: null, delivery_timeout_seconds: null, max_concurrent_per_endpoint: null, rate_limit_per_second: null, ordered: false, signature_type: 'hmac-sha256' });
      });
    });

    describe('AddObservability on a database with history', () => {
      const at = WEBHOOK_MIGRATIONS.indexOf(AddObservability1796100000000);
      let ds: DataSource;
      beforeAll(async () => {
        ds = await createTestDataSource(kind, { namespace: `webhook_backfill_${kind}`, migrations: WEBHOOK_MIGRATIONS.slice(0, at) });
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
          // It, then the later ones, as an upgrade runs them.
          for (const Later of WEBHOOK_MIGRATIONS.slice(at)) await new Later().up(runner);
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
