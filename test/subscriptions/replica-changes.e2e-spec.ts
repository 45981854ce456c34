import { afterAll, afterEach, beforeAll, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { generateWebhookSecret, type WebhookSubscription } from '../../lib';
import { TypeOrmSubscriptionStore, WebhookDataSourceRef } from '../../lib/stores/typeorm';
import { closeTestDataSource, createTestDataSource, describeIfDatabase } from '../support/databases';
import { startPgReplica, type PgReplica } from '../support/pg-replicas';
import { ok, sleep, TestReceiver } from '../support/receiver';

const SCHEMA = 'webhook_sub_changes';

interface Streamed {
  results: Array<{ id: string; at: number; delivery_count: number }>;
}

/**
 * Subscription changes made on one replica reach the others within a second: B keeps dispatching while A
 * deactivates, then deletes, the subscription B dispatches to.
 */
describeIfDatabase('postgres', 'subscription changes across replicas (PostgreSQL)', () => {
  let ds: DataSource;
  let receiver: TestReceiver;
  let store: TypeOrmSubscriptionStore;
  let pgUser = '';
  const running = new Set<PgReplica>();

  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does it in pretest)');
    ds = await createTestDataSource('postgres', { namespace: SCHEMA });
    pgUser = (ds.options as { username: string }).username;
    receiver = await TestReceiver.start();
    store = new TypeOrmSubscriptionStore(WebhookDataSourceRef.of(ds));
  }, 60_000);

  afterEach(async () => {
    await Promise.all([...running].map((r) => r.kill()));
  });

  afterAll(async () => {
    await receiver?.close();
    await closeTestDataSource(ds);
  }, 30_000);

  const subscription = (id: string, path: string): WebhookSubscription => ({
    subscription_id: id,
    url: receiver.url(path),
    secret: generateWebhookSecret(),
    event_types: ['order.stream'],
    active: true,
    description: null,
    tenant_id: null,
    created_at: new Date(),
    metadata: {},
  });

  /** B streams dispatches for 3 s; A makes `change` after 1 s. Returns what B dispatched and when A changed. */
  async function streamAround(path: string, change: 'deactivate' | 'delete') {
    receiver.on(path, ok());
    const sub = await store.create(subscription(`sub-${change}`, path));
    const [a, b] = await Promise.all([startPgReplica('A', SCHEMA, pgUser, {}, running), startPgReplica('B', SCHEMA, pgUser, {}, running)]);
    const streaming = b.request<Streamed>({ cmd: 'stream', prefix: change, every_ms: 20, for_ms: 3000 }, 'streamed');
    await sleep(1000);
    const { at: changedAt } = await a.request<{ at: number }>({ cmd: change, subscription_id: sub.subscription_id }, change === 'delete' ? 'deleted' : 'deactivated');
    const { results } = await streaming;
    await sleep(500);
    return { results, changedAt, received: receiver.received(path) };
  }

  it('deactivated on A: B stops delivering to it within 1 s', async () => {
    const { results, changedAt, received } = await streamAround('/deactivated', 'deactivate');
    const before = results.filter((r) => r.at < changedAt - 100);
    const after = results.filter((r) => r.at > changedAt + 1000);
    expect(before.length).toBeGreaterThan(10);
    expect(after.length).toBeGreaterThan(10);
    expect(before.every((r) => r.delivery_count === 1)).toBe(true);
    expect(after.every((r) => r.delivery_count === 0)).toBe(true);
    expect(received.filter((r) => r.at > changedAt + 1000)).toEqual([]);
    const sentAfter = new Set(after.map((r) => r.id));
    expect(received.filter((r) => sentAfter.has(String(r.headers['webhook-id'])))).toEqual([]);
  }, 60_000);

  it('deleted on A: B never sends to it again', async () => {
    const { results, changedAt, received } = await streamAround('/deleted', 'delete');
    expect(results.filter((r) => r.at < changedAt - 100).every((r) => r.delivery_count === 1)).toBe(true);
    expect(results.filter((r) => r.at > changedAt + 1000).every((r) => r.delivery_count === 0)).toBe(true);
    expect(received.filter((r) => r.at > changedAt + 1000)).toEqual([]);
  }, 60_000);
});
