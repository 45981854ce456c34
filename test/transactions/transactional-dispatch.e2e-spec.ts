import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InvalidTransactionError, WEBHOOK_DELIVERY_STORE, WebhookDeliveryService, WebhookModule, WebhookSubscriptionService, type WebhookDeliveryStore } from '../../lib';
import { WEBHOOK_ENTITIES } from '../../lib/typeorm';
import { WebhookDeliveryEntity, WebhookEventEntity } from '../../lib/stores/typeorm';
import { createTestApp, FAST } from '../support/app';
import { closeTestDataSource, createTestDataSource, describeIfDatabase, type DatabaseKind } from '../support/databases';
import { ok, sleep, TestReceiver, waitFor } from '../support/receiver';
import { OrderEntity } from './order.entity';

/** No retry poll during these tests: what starts a delivery after a commit is the commit itself. */
const NO_POLL = '0 0 12 1 1 *';

function suite(kind: DatabaseKind): void {
  let ds: DataSource;
  let other: DataSource;
  let module: TestingModule;
  let delivery: WebhookDeliveryService;
  let store: WebhookDeliveryStore;
  let receiver: TestReceiver;
  let path = '';
  let n = 0;
  const id = (label: string) => `${kind}-${label}-${++n}`;
  const sent = (eventId: string) => receiver.received(path).filter((r) => r.headers['webhook-id'] === eventId);

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    path = `/tx-${kind}`;
    receiver.on(path, ok());
    ds = await createTestDataSource(kind, { namespace: 'webhook_tx', entities: [...WEBHOOK_ENTITIES, OrderEntity] });
    other = await createTestDataSource('sqlite', { namespace: 'webhook_tx_other', entities: [...WEBHOOK_ENTITIES] });
    module = await Test.createTestingModule({
      imports: [WebhookModule.forRoot({ ...FAST, store_backend: 'typeorm', retry_cron: NO_POLL })],
      providers: [{ provide: getDataSourceToken(), useValue: ds }],
    }).compile();
    await module.init();
    delivery = module.get(WebhookDeliveryService);
    store = module.get(WEBHOOK_DELIVERY_STORE);
    await module.get(WebhookSubscriptionService).create({ url: receiver.url(path), event_types: ['order.*'] });
  }, 60_000);

  afterAll(async () => {
    await module?.close();
    await closeTestDataSource(other);
    await closeTestDataSource(ds);
    await receiver?.close();
  });

  it('commit: the event is stored with the business row, nothing is sent before the commit, and it is sent right after', async () => {
    const eventId = id('commit');
    let committedAt = 0;
    await ds.transaction(async (manager) => {
      await manager.save(OrderEntity, { id: eventId, amount: 42 });
      const result = await delivery.dispatch({ event_id: eventId, event_type: 'order.paid', payload: { amount: 42 } }, { manager });
      expect(result).toEqual({ event_id: eventId, delivery_count: 1, duplicate: false });
      await sleep(200);
      expect(sent(eventId)).toHaveLength(0);
      committedAt = Date.now();
    });
    const [request] = await waitFor(() => sent(eventId).length > 0 && sent(eventId), 'the delivery after the commit', 5000, 2);
    // Woken by the commit itself: the retry poll is off.
    expect(request.at - committedAt).toBeLessThan(1000);
    await waitFor(async () => (await store.getAttempts({ event_id: eventId })).some((a) => a.status === 'delivered'), 'the delivered attempt', 5000);
  });

  it('rollback: nothing is ever sent and no row of ours remains', async () => {
    const eventId = id('rollback');
    await expect(
      ds.transaction(async (manager) => {
        await manager.save(OrderEntity, { id: eventId, amount: 1 });
        await delivery.dispatch({ event_id: eventId, event_type: 'order.paid', payload: {} }, { manager });
        throw new Error('the business rule failed');
      }),
    ).rejects.toThrow('the business rule failed');
    // Longer than two polls of the default retry_cron (every second).
    await sleep(2500);
    expect(sent(eventId)).toHaveLength(0);
    expect(await ds.getRepository(WebhookEventEntity).countBy({ event_id: eventId })).toBe(0);
    expect(await ds.getRepository(WebhookDeliveryEntity).countBy({ event_id: eventId })).toBe(0);
    expect(await ds.getRepository(OrderEntity).findOneBy({ id: eventId })).toBeNull();
  });

  it('a transaction left open for 5 seconds: nothing is sent before it commits', async () => {
    const eventId = id('open');
    const runner = ds.createQueryRunner();
    await runner.startTransaction();
    try {
      await runner.manager.save(OrderEntity, { id: eventId, amount: 5 });
      await delivery.dispatch({ event_id: eventId, event_type: 'order.paid', payload: {} }, { manager: runner.manager });
      // Meanwhile other dispatches go through (and wake the engine, which must not take the open transaction's row).
      const outside = id('outside');
      await delivery.dispatch({ event_id: outside, event_type: 'order.paid', payload: {} });
      await waitFor(() => sent(outside).length > 0, 'the delivery dispatched outside the transaction', 5000);
      await sleep(5000);
      expect(sent(eventId)).toHaveLength(0);
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    await waitFor(() => sent(eventId).length > 0, 'the delivery after the late commit', 5000, 5);
  }, 30_000);

  it('dispatchMany in a transaction stores all or nothing and answers in order', async () => {
    const [a, b] = [id('many'), id('many')];
    const results = await ds.transaction((manager) =>
      delivery.dispatchMany(
        [
          { event_id: a, event_type: 'order.paid', payload: {} },
          { event_id: b, event_type: 'order.shipped', payload: {} },
          { event_id: a, event_type: 'order.paid', payload: {} },
        ],
        { manager },
      ),
    );
    expect(results).toEqual([
      { event_id: a, delivery_count: 1, duplicate: false },
      { event_id: b, delivery_count: 1, duplicate: false },
      { event_id: a, delivery_count: 0, duplicate: true },
    ]);
    await waitFor(() => sent(a).length > 0 && sent(b).length > 0, 'both deliveries', 5000);
    // One invalid event: none is stored.
    const c = id('many');
    await expect(delivery.dispatchMany([{ event_id: c, event_type: 'order.paid', payload: {} }, { event_type: 'bad type!', payload: {} }])).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    expect(await store.getEvent(c)).toBeNull();
  });

  it('a repeated event_id inside the transaction is a duplicate and leaves the transaction usable', async () => {
    const eventId = id('dup');
    await delivery.dispatch({ event_id: eventId, event_type: 'order.paid', payload: { v: 1 } });
    await ds.transaction(async (manager) => {
      const again = await delivery.dispatch({ event_id: eventId, event_type: 'order.paid', payload: { v: 2 } }, { manager });
      expect(again).toEqual({ event_id: eventId, delivery_count: 0, duplicate: true });
      // PostgreSQL aborts a transaction on a failed statement: this would throw if the duplicate had failed one.
      await manager.save(OrderEntity, { id: eventId, amount: 7 });
    });
    expect(await ds.getRepository(OrderEntity).findOneBy({ id: eventId })).toMatchObject({ amount: 7 });
    await waitFor(() => sent(eventId).length > 0, 'the first dispatch', 5000);
    await sleep(300);
    expect(sent(eventId).map((r) => JSON.parse(r.body).payload)).toEqual([{ v: 1 }]);
  });

  it('refuses a manager it cannot join, naming the fix, and writes nothing', async () => {
    const eventId = id('refused');
    const attempt = (manager: unknown) => delivery.dispatch({ event_id: eventId, event_type: 'order.paid', payload: {} }, { manager });
    await expect(other.transaction((manager) => attempt(manager))).rejects.toThrow(/another DataSource/);
    await expect(attempt(ds.manager)).rejects.toThrow(/not inside a transaction/);
    await expect(attempt({})).rejects.toThrow(/EntityManager of a running transaction/);
    await expect(attempt(ds.manager)).rejects.toBeInstanceOf(InvalidTransactionError);
    expect(await store.getEvent(eventId)).toBeNull();
  });
}

describe('transactional dispatch: SQLite', () => suite('sqlite'));
describeIfDatabase('postgres', 'transactional dispatch: PostgreSQL', () => suite('postgres'));
describeIfDatabase('mariadb', 'transactional dispatch: MariaDB', () => suite('mariadb'));

describe('transactional dispatch: memory store', () => {
  it('refuses a manager (there are no transactions), naming the fix, and stores nothing', async () => {
    const t = await createTestApp();
    try {
      await expect(t.delivery.dispatch({ event_id: 'mem-tx', event_type: 'a', payload: {} }, { manager: {} })).rejects.toThrow(/store_backend is 'memory'/);
      await expect(t.delivery.dispatchMany([{ event_id: 'mem-tx', event_type: 'a', payload: {} }], { manager: {} })).rejects.toBeInstanceOf(InvalidTransactionError);
      expect(await t.deliveries.getEvent('mem-tx')).toBeNull();
    } finally {
      await t.close();
    }
  });
});
