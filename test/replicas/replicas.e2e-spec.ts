import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { generateWebhookSecret } from '../../lib';
import { WEBHOOK_MIGRATIONS } from '../../lib/typeorm';
import { TypeOrmSubscriptionStore, WebhookDataSourceRef } from '../../lib/stores/typeorm';
import { createTestDataSource, describeIfDatabase, testNamespace } from '../support/databases';
import { waitFor } from '../support/receiver';
import { CountingReceiver, startReplica as startOne, stopReplica, type Replica } from './replica-process';

const SCHEMA = 'webhook_replicas';
/** The replicas' PostgreSQL application_name, so that the chaos test terminates their connections only. */
const APP_NAME = testNamespace('webhook-replica');

describeIfDatabase('postgres', 'replicas on one PostgreSQL database (separate processes)', () => {
  let ds: DataSource;
  let receiver: CountingReceiver;
  const replicas: Replica[] = [];
  let pgUser = '';

  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does it in pretest)');
    ds = await createTestDataSource('postgres', { namespace: SCHEMA, migrations: WEBHOOK_MIGRATIONS, synchronize: false });
    pgUser = (ds.options as { username: string }).username;
    receiver = new CountingReceiver();
    await receiver.start();
    await new TypeOrmSubscriptionStore(WebhookDataSourceRef.of(ds)).create({
      subscription_id: 'sub-replicas',
      url: `http://127.0.0.1:${receiver.port}/hook`,
      secret: generateWebhookSecret(),
      event_types: null,
      active: true,
      description: null,
      tenant_id: null,
      created_at: new Date(),
      metadata: {},
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => stop(r)));
    await receiver?.close();
    await ds?.destroy();
  }, 30_000);

  async function startReplica(): Promise<Replica> {
    const replica = await startOne({ PG_SCHEMA: testNamespace(SCHEMA), PG_APP_NAME: APP_NAME, PG_USER: pgUser });
    replicas.push(replica);
    return replica;
  }

  const stop = stopReplica;

  const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const allDelivered = (accepted: Iterable<string>) => [...accepted].every((id) => (receiver.counts.get(id) ?? 0) >= 1);

  it('three replicas deliver every accepted event exactly once while none dies', async () => {
    const three = await Promise.all([startReplica(), startReplica(), startReplica()]);
    await Promise.all(
      three.map((r, i) => {
        const done = r.dispatched();
        r.child.send({ cmd: 'dispatch', ids: ids(`calm${i}`, 200) });
        return done;
      }),
    );
    const accepted = three.flatMap((r) => [...r.accepted]);
    expect(accepted).toHaveLength(600);
    await waitFor(() => allDelivered(accepted), 'all 600 events delivered', 60_000, 100);
    await new Promise((r) => setTimeout(r, 500));
    const sent = accepted.map((id) => receiver.counts.get(id));
    expect(sent.every((c) => c === 1)).toBe(true);
    await Promise.all(three.map(stop));
  }, 120_000);

  it('a replica killed with SIGKILL mid-burst loses nothing: the others deliver its leased work', async () => {
    receiver.delayMs = 30;
    const [victim, survivor] = await Promise.all([startReplica(), startReplica()]);
    victim.child.send({ cmd: 'dispatch', ids: ids('kill', 300) });
    await waitFor(() => victim.accepted.size >= 150 && [...receiver.counts.keys()].some((k) => k.startsWith('kill')), 'the victim to be mid-burst', 30_000);
    victim.child.kill('SIGKILL');
    await new Promise((r) => victim.child.once('exit', r));
    const accepted = [...victim.accepted];
    await waitFor(() => allDelivered(accepted), `all ${accepted.length} events accepted by the killed replica delivered`, 60_000, 100);
    const dupes = accepted.reduce((n, id) => n + (receiver.counts.get(id)! - 1), 0);
    console.log(`SIGKILL test: ${accepted.length} accepted before the kill, all delivered; ${dupes} delivered twice (at-least-once).`);
    await stop(survivor);
    receiver.delayMs = 5;
  }, 120_000);

  it('recovers by itself when PostgreSQL terminates its connections during a burst', async () => {
    const [a, b] = await Promise.all([startReplica(), startReplica()]);
    const done = Promise.all([a.dispatched(), b.dispatched()]);
    a.child.send({ cmd: 'dispatch', ids: ids('chaos-a', 300) });
    b.child.send({ cmd: 'dispatch', ids: ids('chaos-b', 300) });
    let terminated = 0;
    for (let i = 0; i < 8; i++) {
      await new Promise((r) => setTimeout(r, 150));
      const rows = await ds.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [APP_NAME]);
      terminated += rows.length;
    }
    await done;
    const accepted = [...a.accepted, ...b.accepted];
    console.log(`connection chaos: ${terminated} backends terminated; ${accepted.length} of 600 dispatches accepted, ${a.errors.length + b.errors.length} refused with an error`);
    expect(accepted.length).toBeGreaterThan(0);
    await waitFor(() => allDelivered(accepted), 'every accepted event delivered after the chaos', 60_000, 100);
    // Still working without a restart.
    const after = a.dispatched();
    a.child.send({ cmd: 'dispatch', ids: ['after-chaos'] });
    await after;
    expect(a.accepted.has('after-chaos')).toBe(true);
    await waitFor(() => receiver.counts.get('after-chaos') === 1, 'a new event delivered after recovery', 20_000);
    await Promise.all([stop(a), stop(b)]);
  }, 120_000);
});
