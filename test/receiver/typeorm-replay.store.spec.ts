import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { TypeOrmReplayStore, WEBHOOK_RECEIVER_ENTITIES, WEBHOOK_RECEIVER_MIGRATIONS } from '../../lib/typeorm';
import { WebhookReceiverReplayEntity } from '../../lib/receiver/typeorm';
import { closeTestDataSource, createTestDataSource, describeIfDatabase, type DatabaseKind } from '../support/databases';

const KINDS: Array<[DatabaseKind, string]> = [
  ['sqlite', 'SQLite'],
  ['postgres', 'PostgreSQL'],
  ['mariadb', 'MariaDB'],
];

/** A second connection (its own pool) to the database of `ds`, for races between two receivers. */
async function secondConnection(ds: DataSource): Promise<DataSource> {
  const other = new DataSource({ ...ds.options, entities: WEBHOOK_RECEIVER_ENTITIES, migrations: [], migrationsRun: false, synchronize: false, dropSchema: false } as never);
  await other.initialize();
  return other;
}

function rows(ds: DataSource): Promise<number> {
  return ds.getRepository(WebhookReceiverReplayEntity).count();
}

for (const [kind, label] of KINDS) {
  describeIfDatabase(kind, `TypeOrmReplayStore on ${label}`, () => {
    let ds: DataSource;
    let other: DataSource;
    const clock = { ms: Date.parse('2026-03-01T12:00:00.000Z') };
    const at = (seconds: number) => new Date(clock.ms + seconds * 1000);
    let store: TypeOrmReplayStore;

    beforeAll(async () => {
      ds = await createTestDataSource(kind, { namespace: `receiver_replays_${kind}`, entities: WEBHOOK_RECEIVER_ENTITIES, migrations: WEBHOOK_RECEIVER_MIGRATIONS });
      other = await secondConnection(ds);
      store = new TypeOrmReplayStore(ds, { now: () => new Date(clock.ms) });
    });
    afterAll(async () => {
      if (other?.isInitialized) await other.destroy();
      await closeTestDataSource(ds);
    });

    it('its migration creates the table the entity describes, and reverts', async () => {
      const log = await ds.driver.createSchemaBuilder().log();
      expect(log.upQueries.map((q) => q.query)).toEqual([]);
      const runner = ds.createQueryRunner();
      try {
        expect(await runner.hasTable('webhook_receiver_replays')).toBe(true);
        await ds.undoLastMigration();
        expect(await runner.hasTable('webhook_receiver_replays')).toBe(false);
        await ds.runMigrations();
        expect(await runner.hasTable('webhook_receiver_replays')).toBe(true);
      } finally {
        await runner.release();
      }
    });

    it('says true the first time, false while the row lives, true again once it expired', async () => {
      expect(await store.remember('msg-1', at(300))).toBe(true);
      expect(await store.remember('msg-1', at(300))).toBe(false);
      expect(await store.remember('MSG-1', at(300))).toBe(true);
      clock.ms += 299_000;
      expect(await store.remember('msg-1', at(300))).toBe(false);
      clock.ms += 1_000;
      expect(await store.remember('msg-1', at(300))).toBe(true);
      expect(await store.remember('msg-1', at(300))).toBe(false);
    });

    it('forgets an id on request (a failed request, so its retry is let in)', async () => {
      expect(await store.remember('failed-1', at(300))).toBe(true);
      await store.forget('failed-1');
      expect(await store.remember('failed-1', at(300))).toBe(true);
      expect(await store.remember('failed-1', at(300))).toBe(false);
    });

    it('purges expired rows now and then, from remember itself', async () => {
      await ds.getRepository(WebhookReceiverReplayEntity).clear();
      const purging = new TypeOrmReplayStore(ds, { now: () => new Date(clock.ms), purge_interval_seconds: 60 });
      for (let i = 0; i < 5; i++) await purging.remember(`short-${i}`, at(10));
      await purging.remember('long', at(3600));
      clock.ms += 30_000;
      // expired, but the next purge is not due yet
      await purging.remember('later', at(300));
      expect(await rows(ds)).toBe(7);
      clock.ms += 31_000;
      await purging.remember('latest', at(300));
      expect((await ds.getRepository(WebhookReceiverReplayEntity).find({ order: { id: 'ASC' } })).map((r) => r.id)).toEqual(['later', 'latest', 'long']);
      expect(await purging.purgeExpired(at(301))).toBe(2);
    });

    it('gives exactly one true per id when two connections remember the same ids at once', async () => {
      const mine = new TypeOrmReplayStore(ds, { now: () => new Date(clock.ms) });
      const theirs = new TypeOrmReplayStore(other, { now: () => new Date(clock.ms) });
      const ids = Array.from({ length: 40 }, (_, i) => `race-${i}`);
      const results = await Promise.all(ids.flatMap((id) => [mine.remember(id, at(300)), theirs.remember(id, at(300))]));
      for (let i = 0; i < ids.length; i++) expect([results[2 * i], results[2 * i + 1]].filter(Boolean)).toHaveLength(1);
    });

    it('gives exactly one true when two connections race over an expired row of the id', async () => {
      const mine = new TypeOrmReplayStore(ds, { now: () => new Date(clock.ms) });
      const theirs = new TypeOrmReplayStore(other, { now: () => new Date(clock.ms) });
      const ids = Array.from({ length: 20 }, (_, i) => `again-${i}`);
      for (const id of ids) expect(await mine.remember(id, at(5))).toBe(true);
      clock.ms += 6_000;
      const results = await Promise.all(ids.flatMap((id) => [mine.remember(id, at(300)), theirs.remember(id, at(300))]));
      for (let i = 0; i < ids.length; i++) expect([results[2 * i], results[2 * i + 1]].filter(Boolean)).toHaveLength(1);
    });

    it('says what to add when the DataSource lacks its entity, and refuses bad ids', async () => {
      const bare = new DataSource({ ...ds.options, entities: [], migrations: [], migrationsRun: false, synchronize: false, dropSchema: false } as never);
      await bare.initialize();
      try {
        await expect(new TypeOrmReplayStore(bare).remember('x', at(10))).rejects.toThrow(/add WEBHOOK_RECEIVER_ENTITIES to the DataSource's entities and WEBHOOK_RECEIVER_MIGRATIONS/);
      } finally {
        await bare.destroy();
      }
      await expect(store.remember('', at(10))).rejects.toThrow(/1-255 characters/);
      await expect(store.remember('x'.repeat(256), at(10))).rejects.toThrow(/1-255 characters/);
    });
  });
}
