import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { WEBHOOK_DELIVERY_STORE, WebhookDeliveryService, WebhookSubscriptionService, type WebhookDeliveryStore } from '../../lib';
import { startOnStore } from '../support/app';
import { describeIfDatabase, type DatabaseKind } from '../support/databases';
import { LaneWatch } from '../support/lane-watch';
import { sleep, TestReceiver, waitFor } from '../support/receiver';

/** Every third event of a key (n = 2, 5, 8...) fails its first two tries. */
const everyThirdFailsTwice = (n: number) => (n % 3 === 2 ? 2 : 0);

function suite(kind: 'memory' | DatabaseKind): void {
  let receiver: TestReceiver;
  let module: TestingModule;
  let close: () => Promise<void>;
  let delivery: WebhookDeliveryService;
  let subscriptions: WebhookSubscriptionService;
  let store: WebhookDeliveryStore;
  let route = 0;

  /** An ordered subscription of its own (event type `lane.<label>`) on a fresh route watched by a LaneWatch. */
  async function orderedEndpoint(label: string, behaviour: Parameters<LaneWatch['behaviour']>[0], extra: object = {}) {
    const watch = new LaneWatch();
    const path = `/lanes-${kind}-${++route}`;
    receiver.on(path, watch.behaviour(behaviour));
    const sub = await subscriptions.create({ url: receiver.url(path), event_types: [`lane.${label}`], ordered: true, ...extra });
    return { watch, sub, type: `lane.${label}` };
  }

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    ({ module, close } = await startOnStore(kind, { retry_max_attempts: 5, max_concurrent_per_endpoint: 8 }, { namespace: 'webhook_lanes' }));
    delivery = module.get(WebhookDeliveryService);
    subscriptions = module.get(WebhookSubscriptionService);
    store = module.get(WEBHOOK_DELIVERY_STORE);
  }, 60_000);

  afterAll(async () => {
    await close?.();
    await receiver?.close();
  });

  it("a receiver failing the first two tries of every third event still gets each key's events in dispatch order, one at a time", async () => {
    const { watch, type } = await orderedEndpoint('retry', { delayMs: 5, failFirst: everyThirdFailsTwice });
    const keys = ['k0', 'k1', 'k2', 'k3'];
    const perKey = 9;
    // Each dispatch resolves before the next is called: the order the guarantee is about.
    for (let n = 0; n < perKey; n++) for (const key of keys) await delivery.dispatch({ event_type: type, ordering_key: key, payload: { key, n } });
    await waitFor(() => watch.deliveredCount === keys.length * perKey, 'every event delivered', 60_000, 20);
    for (const key of keys) expect(watch.delivered.get(key)).toEqual([...Array(perKey).keys()]);
    expect(watch.maxPerKey).toBe(1);
    // The failing ones were retried in place: tried three times each.
    expect([...watch.tries.values()].filter((t) => t === 3)).toHaveLength(keys.length * 3);
  }, 90_000);

  it('events without a key form one lane of the subscription', async () => {
    const { watch, type } = await orderedEndpoint('keyless', { delayMs: 5, failFirst: everyThirdFailsTwice });
    for (let n = 0; n < 8; n++) await delivery.dispatch({ event_type: type, payload: { key: 'none', n } });
    await waitFor(() => watch.deliveredCount === 8, 'every event delivered', 30_000, 20);
    expect(watch.delivered.get('none')).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(watch.maxPerKey).toBe(1);
  }, 60_000);

  it("lanes do not serialize unrelated keys: many keys' events go out at the endpoint's concurrency", async () => {
    const { watch, type } = await orderedEndpoint('parallel', { delayMs: 100 });
    const keys = Array.from({ length: 40 }, (_, i) => `p${i}`);
    await delivery.dispatchMany(keys.flatMap((key) => [0, 1, 2].map((n) => ({ event_type: type, ordering_key: key, payload: { key, n } }))));
    await waitFor(() => watch.deliveredCount === keys.length * 3, 'every event delivered', 60_000, 20);
    for (const key of keys) expect(watch.delivered.get(key)).toEqual([0, 1, 2]);
    expect(watch.maxPerKey).toBe(1);
    // max_concurrent_per_endpoint is 8: measured, the receiver saw (nearly) that many requests at once.
    console.log(`${kind}: ${keys.length} keys x 3 events to one ordered endpoint (cap 8): at most ${watch.maxTotal} requests in flight at once`);
    expect(watch.maxTotal).toBeGreaterThanOrEqual(6);
  }, 90_000);

  it('a dead letter ends its turn: the lane goes on with the next event', async () => {
    const { watch, type } = await orderedEndpoint('dead', { delayMs: 5, failFirst: (n) => (n === 0 ? 99 : 0) }, { retry_max_attempts: 2 });
    const first = await delivery.dispatch({ event_type: type, ordering_key: 'd', payload: { key: 'd', n: 0 } });
    await delivery.dispatch({ event_type: type, ordering_key: 'd', payload: { key: 'd', n: 1 } });
    await waitFor(() => watch.deliveredCount === 1, 'the second event delivered', 30_000, 20);
    expect(watch.delivered.get('d')).toEqual([1]);
    expect(watch.tries.get(first.event_id)).toBe(2);
    expect((await store.getAttempts({ event_id: first.event_id })).map((a) => a.status)).toContain('dead_letter');
  }, 60_000);

  if (kind === 'postgres' || kind === 'mariadb') {
    it("a dispatch to a lane waits for a transaction that dispatched to it: the lane's order is commit order", async () => {
      const { watch, type } = await orderedEndpoint('tx', { delayMs: 5 });
      const ds = module.get<DataSource>(getDataSourceToken());
      const runner = ds.createQueryRunner();
      await runner.startTransaction();
      let later: Promise<unknown> | undefined;
      let laterDone = false;
      try {
        await delivery.dispatch({ event_type: type, ordering_key: 't', payload: { key: 't', n: 0 } }, { manager: runner.manager });
        // Another lane is not held up.
        await delivery.dispatch({ event_type: type, ordering_key: 'u', payload: { key: 'u', n: 0 } });
        later = delivery.dispatch({ event_type: type, ordering_key: 't', payload: { key: 't', n: 1 } }).then(() => (laterDone = true));
        await sleep(500);
        expect(laterDone).toBe(false);
        await runner.commitTransaction();
      } finally {
        await runner.release();
      }
      await later;
      await waitFor(() => watch.deliveredCount === 3, 'every event delivered', 30_000, 20);
      expect(watch.delivered.get('t')).toEqual([0, 1]);
    }, 60_000);
  }
}

describe('ordered delivery: memory', () => suite('memory'));
describeIfDatabase('sqlite', 'ordered delivery: SQLite', () => suite('sqlite'));
describeIfDatabase('postgres', 'ordered delivery: PostgreSQL', () => suite('postgres'));
describeIfDatabase('mariadb', 'ordered delivery: MariaDB', () => suite('mariadb'));
