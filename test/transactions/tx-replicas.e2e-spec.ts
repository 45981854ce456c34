import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { generateWebhookSecret, type WebhookModuleOptions } from '../../lib';
import { WEBHOOK_ENTITIES } from '../../lib/typeorm';
import { WebhookEventEntity } from '../../lib/stores/typeorm';
import { TypeOrmSubscriptionStore, WebhookDataSourceRef } from '../../lib/stores/typeorm';
import { closeTestDataSource, createTestDataSource, describeIfDatabase } from '../support/databases';
import { startPgReplica, type PgReplica } from '../support/pg-replicas';
import { hang, ok, sleep, TestReceiver, waitFor } from '../support/receiver';
import { OrderEntity } from './order.entity';

const SCHEMA = 'webhook_tx_replicas';
/** A retry cron that does not fire during the test: a replica then learns of new work only from NOTIFY. */
const NO_POLL = '0 0 12 1 1 *';

describeIfDatabase('postgres', 'transactional dispatch across processes (PostgreSQL)', () => {
  let ds: DataSource;
  let receiver: TestReceiver;
  let pgUser = '';
  const running = new Set<PgReplica>();

  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does it in pretest)');
    ds = await createTestDataSource('postgres', { namespace: SCHEMA, entities: [...WEBHOOK_ENTITIES, OrderEntity] });
    pgUser = (ds.options as { username: string }).username;
    receiver = await TestReceiver.start();
    receiver.on('/orders', ok()).on('/hold', hang());
    const subscriptions = new TypeOrmSubscriptionStore(WebhookDataSourceRef.of(ds));
    const sub = (id: string, path: string, types: string[]) => ({
      subscription_id: id,
      url: receiver.url(path),
      secret: generateWebhookSecret(),
      event_types: types,
      active: true,
      description: null,
      tenant_id: null,
      created_at: new Date(),
      metadata: {},
    });
    await subscriptions.create(sub('sub-orders', '/orders', ['order.*']));
    await subscriptions.create(sub('sub-hold', '/hold', ['hold.*']));
  }, 60_000);

  afterEach(async () => {
    await Promise.all([...running].map((r) => r.kill()));
  });

  afterAll(async () => {
    await receiver?.close();
    await closeTestDataSource(ds);
  }, 30_000);

  const start = (name: string, options: WebhookModuleOptions = {}) => startPgReplica(name, SCHEMA, pgUser, options, running);

  const arrivals = (id: string) => receiver.received('/orders').filter((r) => r.headers['webhook-id'] === id);
  const stored = async (id: string) => ({ orders: await ds.getRepository(OrderEntity).countBy({ id }), events: await ds.getRepository(WebhookEventEntity).countBy({ event_id: id }) });

  it('killed with SIGKILL inside its transaction: after a restart neither row exists and nothing was sent', async () => {
    const a = await start('A');
    await a.request({ cmd: 'dispatch', id: 'killed-open', mode: 'hold' }, 'in-transaction');
    await a.kill();
    const restarted = await start('A2');
    await sleep(2500);
    expect(await stored('killed-open')).toEqual({ orders: 0, events: 0 });
    expect(arrivals('killed-open')).toHaveLength(0);
    await restarted.kill();
  }, 60_000);

  it('killed right after COMMIT: the event is delivered after a restart', async () => {
    const a = await start('A');
    const exited = new Promise((resolve) => a.child.once('exit', resolve));
    a.child.send({ cmd: 'dispatch', id: 'killed-committed', mode: 'commit-and-die' });
    await exited;
    expect(await stored('killed-committed')).toEqual({ orders: 1, events: 1 });
    await start('A2');
    await waitFor(() => arrivals('killed-committed').length > 0, 'the delivery after the restart', 10_000);
  }, 60_000);

  it('committed on A while A has no room: B sends it at once (NOTIFY, not B’s poll); the same for a plain dispatch', async () => {
    // A: one slot, taken by a send that hangs. B: no poll, so only a notification can tell it.
    const a = await start('A', { max_concurrent_deliveries: 1, delivery_timeout_seconds: 30, lease_seconds: 60 });
    const b = await start('B', { retry_cron: NO_POLL });
    await a.request({ cmd: 'dispatch', id: 'hold-1', mode: 'plain' }, 'dispatched');
    await waitFor(() => receiver.received('/hold').length > 0, 'A to be busy', 5000);
    for (const [id, mode, reply] of [
      ['cross-1', 'commit', 'committed'],
      ['cross-2', 'plain', 'dispatched'],
      ['cross-3', 'commit', 'committed'],
    ]) {
      const { at } = await a.request({ cmd: 'dispatch', id, mode }, reply);
      const [request] = await waitFor(() => arrivals(id).length > 0 && arrivals(id), `${id} delivered`, 5000, 1);
      expect(request.headers['user-agent']).toBe('replica-B');
      // B does not poll: only the notification can have told it. Typically 10-60 ms here; a bound with room for
      // this shared machine's load (the latency itself is measured by `npm run bench`: cross-replica p99).
      expect(request.at - at).toBeLessThan(1000);
    }
    await Promise.all([a.kill(), b.kill()]);
  }, 60_000);

  it('the LISTEN connection is killed: it reconnects and deliveries still start promptly', async () => {
    const a = await start('A', { max_concurrent_deliveries: 1, delivery_timeout_seconds: 30, lease_seconds: 60 });
    const b = await start('B', { retry_cron: NO_POLL });
    await a.request({ cmd: 'dispatch', id: 'hold-2', mode: 'plain' }, 'dispatched');
    await waitFor(() => receiver.received('/hold').length > 1, 'A to be busy', 5000);
    const listener = `${b.appName} (webhooks listener)`;
    await waitFor(async () => (await ds.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1`, [listener])).length === 1, 'B listening', 5000);
    const killed = await ds.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [listener]);
    expect(killed).toHaveLength(1);
    await waitFor(async () => (await ds.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1`, [listener])).length === 1, 'B listening again', 5000, 20);
    const { at } = await a.request({ cmd: 'dispatch', id: 'after-listen-kill', mode: 'commit' }, 'committed');
    const [request] = await waitFor(() => arrivals('after-listen-kill').length > 0 && arrivals('after-listen-kill'), 'the delivery', 5000, 1);
    // B does not poll: a delivery on B after the kill can only have come through the reconnected listener. The
    // bound only says "not the next lease expiry"; the latency itself is the bench's cross-replica row.
    expect(request.headers['user-agent']).toBe('replica-B');
    expect(request.at - at).toBeLessThan(1000);
    await Promise.all([a.kill(), b.kill()]);
  }, 60_000);
});
