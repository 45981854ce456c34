import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  InvalidEventError,
  InvalidSubscriptionError,
  InvalidWebhookConfigError,
  verifyWebhook,
  WEBHOOK_DELIVERY_STORE,
  WebhookDeliveryService,
  WebhookModule,
  WebhookSubscriptionService,
  type WebhookDeliveryStore,
  type WebhookModuleOptions,
} from '../../lib';
import { FAST, startOnStore } from '../support/app';
import { ok, sleep, TestReceiver, waitFor } from '../support/receiver';
import { catalogEntries, CUSTOMER_UPDATED_EXAMPLE, INVOICE_PAID_EXAMPLE } from './catalog-fixtures';

interface Harness {
  delivery: WebhookDeliveryService;
  subscriptions: WebhookSubscriptionService;
  store: WebhookDeliveryStore;
  /** The TypeORM DataSource (SQLite), or undefined on the memory store. */
  ds?: DataSource;
  close(): Promise<void>;
}

async function start(kind: 'memory' | 'sqlite', options: WebhookModuleOptions = {}): Promise<Harness> {
  const { module, close } = await startOnStore(kind, { event_catalog: catalogEntries(), ...options }, { namespace: 'webhook_catalog' });
  return {
    delivery: module.get(WebhookDeliveryService),
    subscriptions: module.get(WebhookSubscriptionService),
    store: module.get<WebhookDeliveryStore>(WEBHOOK_DELIVERY_STORE),
    ds: kind === 'sqlite' ? module.get<DataSource>(getDataSourceToken(), { strict: false }) : undefined,
    close,
  };
}

/** The error `promise` rejects with. */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

const BAD_INVOICE = { ...INVOICE_PAID_EXAMPLE, amount: 'lots', customer: { id: 'cus_42', email: 'nope' }, lines: [{ sku: 'plan-pro', quantity: 0 }] };

function suite(kind: 'memory' | 'sqlite'): void {
  let receiver: TestReceiver;
  let h: Harness;
  let subId: string;
  let secret: string;

  /** Nothing of `eventId` in the store: no event, no delivery, no attempt. */
  async function expectNothingStored(eventId: string): Promise<void> {
    expect(await h.store.getEvent(eventId)).toBeNull();
    expect(await h.store.getDelivery(eventId, subId)).toBeNull();
    expect(await h.store.getAttempts({ event_id: eventId })).toEqual([]);
  }

  /** Rows of the webhook tables (SQLite), to see that a refusal wrote nothing at all. */
  async function rowCounts(): Promise<Record<string, number> | null> {
    if (!h.ds) return null;
    const out: Record<string, number> = {};
    for (const table of ['webhook_events', 'webhook_deliveries', 'webhook_delivery_attempts']) {
      out[table] = Number((await h.ds.query(`SELECT COUNT(*) AS n FROM ${table}`))[0].n);
    }
    return out;
  }

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/hook', ok(200));
    h = await start(kind);
    const sub = await h.subscriptions.create({ url: receiver.url('/hook'), event_types: ['invoice.*', 'customer.updated'] });
    subId = sub.subscription_id;
    secret = sub.secret;
  });

  afterAll(async () => {
    await h?.close();
    await receiver?.close();
  });

  it('accepts and delivers a payload that matches its class-validator schema, unchanged', async () => {
    const result = await h.delivery.dispatch({ event_type: 'invoice.paid', event_id: `${kind}-ok-1`, payload: { ...INVOICE_PAID_EXAMPLE, note: 'extra fields are kept' } });
    expect(result).toEqual({ event_id: `${kind}-ok-1`, delivery_count: 1, duplicate: false });
    const req = await waitFor(() => receiver.received('/hook').find((r) => r.headers['webhook-id'] === `${kind}-ok-1`), 'the delivery');
    expect(JSON.parse(req.body).payload).toEqual({ ...INVOICE_PAID_EXAMPLE, note: 'extra fields are kept' });
    expect(verifyWebhook(req.body, req.headers, secret)).toBe(true);
  });

  it('refuses a payload that fails its class-validator schema, naming the fields, and stores nothing', async () => {
    const before = await rowCounts();
    const err = await rejection(h.delivery.dispatch({ event_type: 'invoice.paid', event_id: `${kind}-bad-1`, payload: BAD_INVOICE }));
    expect(err).toBeInstanceOf(InvalidEventError);
    const invalid = err as InvalidEventError;
    expect(invalid.code).toBe('INVALID_EVENT');
    expect([...new Set(invalid.fieldErrors.map((f) => f.path))].sort()).toEqual(['amount', 'customer.email', 'lines.0.quantity']);
    expect(invalid.message).toContain('customer.email: must be an email');
    expect(invalid.message).toContain('lines.0.quantity');
    await expectNothingStored(`${kind}-bad-1`);
    expect(await rowCounts()).toEqual(before);
    await sleep(150);
    expect(receiver.received('/hook').filter((r) => r.headers['webhook-id'] === `${kind}-bad-1`)).toEqual([]);
  });

  it('checks JSON Schema payloads with ajv: accepts a good one, refuses a bad one naming the fields, stores nothing', async () => {
    await expect(h.delivery.dispatch({ event_type: 'customer.updated', event_id: `${kind}-json-ok`, payload: CUSTOMER_UPDATED_EXAMPLE })).resolves.toMatchObject({ delivery_count: 1 });
    const before = await rowCounts();
    const err = (await rejection(h.delivery.dispatch({ event_type: 'customer.updated', event_id: `${kind}-json-bad`, payload: { changes: { plan: 'gold' } } }))) as InvalidEventError;
    expect(err).toBeInstanceOf(InvalidEventError);
    expect(err.fieldErrors).toEqual([
      { path: 'customer_id', message: 'is required' },
      { path: 'changes.plan', message: 'must be one of "free", "pro", "enterprise"' },
    ]);
    await expectNothingStored(`${kind}-json-bad`);
    expect(await rowCounts()).toEqual(before);
  });

  it('refuses an event type the catalog does not list, storing nothing', async () => {
    const before = await rowCounts();
    const err = await rejection(h.delivery.dispatch({ event_type: 'invoice.voided', event_id: `${kind}-unlisted`, payload: {} }));
    expect(err).toBeInstanceOf(InvalidEventError);
    expect(err.message).toContain('"invoice.voided" is not in the event catalog');
    await expectNothingStored(`${kind}-unlisted`);
    expect(await rowCounts()).toEqual(before);
  });

  it('dispatchMany checks every event before writing any: one bad event, nothing stored', async () => {
    const before = await rowCounts();
    const ids = [`${kind}-many-1`, `${kind}-many-2`, `${kind}-many-3`];
    const err = await rejection(
      h.delivery.dispatchMany<unknown>([
        { event_type: 'invoice.paid', event_id: ids[0], payload: INVOICE_PAID_EXAMPLE },
        { event_type: 'customer.updated', event_id: ids[1], payload: { customer_id: 'cus_1', changes: { plan: 'pro', seats: -1 } } },
        { event_type: 'customer.updated', event_id: ids[2], payload: CUSTOMER_UPDATED_EXAMPLE },
      ]),
    );
    expect(err).toBeInstanceOf(InvalidEventError);
    expect((err as InvalidEventError).fieldErrors).toEqual([{ path: 'changes.seats', message: 'must be >= 1' }]);
    for (const id of ids) await expectNothingStored(id);
    expect(await rowCounts()).toEqual(before);
    // All valid: all stored.
    const ok = await h.delivery.dispatchMany<unknown>([
      { event_type: 'invoice.paid', event_id: ids[0], payload: INVOICE_PAID_EXAMPLE },
      { event_type: 'customer.updated', event_id: ids[2], payload: CUSTOMER_UPDATED_EXAMPLE },
    ]);
    expect(ok.map((r) => r.delivery_count)).toEqual([1, 1]);
  });

  it('subscriptions may only name catalogued types or wildcards matching one', async () => {
    for (const event_types of [['invoice.voided'], ['order.*'], ['invoice.paid', 'refund.issued']]) {
      const err = await rejection(h.subscriptions.create({ url: receiver.url('/other'), event_types }));
      expect(err).toBeInstanceOf(InvalidSubscriptionError);
      expect((err as InvalidSubscriptionError).field).toBe('event_types');
    }
    const err = await rejection(h.subscriptions.createMany([{ url: receiver.url('/a'), event_types: ['invoice.paid'] }, { url: receiver.url('/b'), event_types: ['nope.*'] }]));
    expect(err.message).toMatch(/^subscription \[1\]: event_types: "nope\.\*" matches no event type/);
    await expect(h.subscriptions.update(subId, { event_types: ['order.created'] })).rejects.toBeInstanceOf(InvalidSubscriptionError);
    expect((await h.subscriptions.get(subId)).event_types).toEqual(['invoice.*', 'customer.updated']);
    // Catalogued names, matching wildcards and null (every event) are fine.
    const created = await h.subscriptions.create({ url: receiver.url('/c'), event_types: ['customer.*', 'invoice.paid'] });
    expect((await h.subscriptions.update(created.subscription_id, { event_types: null })).event_types).toBeNull();
    await h.subscriptions.delete(created.subscription_id);
  });

  it('sendTest(id, { event_type }) sends the example, signed, to the real endpoint', async () => {
    const attempt = await h.subscriptions.sendTest(subId, { event_type: 'invoice.paid' });
    expect(attempt).toMatchObject({ subscription_id: subId, event_type: 'invoice.paid', status: 'delivered', status_code: 200 });
    const req = receiver.received('/hook').find((r) => r.headers['webhook-id'] === attempt.event_id)!;
    const body = JSON.parse(req.body);
    expect(body).toMatchObject({ event_type: 'invoice.paid', source: 'nestjs-webhooks', payload: INVOICE_PAID_EXAMPLE });
    expect(attempt.event_id).toMatch(/^test_/);
    expect(req.headers['webhook-event-type']).toBe('invoice.paid');
    expect(verifyWebhook(req.body, req.headers, secret)).toBe(true);
    await expect(h.subscriptions.sendTest(subId, { event_type: 'invoice.voided' })).rejects.toThrow(/not in the event catalog/);
    // Without an event type: webhook.test, as before.
    expect((await h.subscriptions.sendTest(subId)).event_type).toBe('webhook.test');
  });

  if (kind === 'sqlite') {
    it('a refusal inside the caller transaction writes nothing and leaves the transaction usable', async () => {
      const before = (await rowCounts())!;
      await h.ds!.transaction(async (manager) => {
        await expect(h.delivery.dispatch({ event_type: 'invoice.paid', event_id: 'tx-bad', payload: BAD_INVOICE }, { manager })).rejects.toBeInstanceOf(InvalidEventError);
        await h.delivery.dispatch({ event_type: 'invoice.paid', event_id: 'tx-ok', payload: INVOICE_PAID_EXAMPLE }, { manager });
      });
      await expectNothingStored('tx-bad');
      expect(await h.store.getEvent('tx-ok')).not.toBeNull();
      expect((await rowCounts())!.webhook_events).toBe(before.webhook_events + 1);
    });
  }
}

describe('event catalog at dispatch, memory store', () => suite('memory'));
describe('event catalog at dispatch, SQLite', () => suite('sqlite'));

describe('event catalog configuration', () => {
  it('allow_unlisted_event_types: unlisted types are accepted and delivered, catalogued ones still checked', async () => {
    const receiver = await TestReceiver.start();
    const h = await start('memory', { allow_unlisted_event_types: true });
    try {
      await h.subscriptions.create({ url: receiver.url('/hook'), event_types: ['order.*'] });
      await expect(h.delivery.dispatch({ event_type: 'order.created', payload: 'anything' })).resolves.toMatchObject({ delivery_count: 1 });
      await waitFor(() => receiver.received('/hook').length === 1, 'the unlisted event');
      await expect(h.delivery.dispatch({ event_type: 'invoice.paid', payload: {} })).rejects.toBeInstanceOf(InvalidEventError);
    } finally {
      await h.close();
      await receiver.close();
    }
  });

  it('forRootAsync takes the catalog from its factory', async () => {
    const module = await Test.createTestingModule({
      imports: [WebhookModule.forRootAsync({ useFactory: async () => ({ ...FAST, event_catalog: catalogEntries() }) })],
    }).compile();
    await module.init();
    try {
      await expect(module.get(WebhookDeliveryService).dispatch({ event_type: 'invoice.paid', payload: BAD_INVOICE })).rejects.toBeInstanceOf(InvalidEventError);
      await expect(module.get(WebhookDeliveryService).dispatch({ event_type: 'invoice.paid', payload: INVOICE_PAID_EXAMPLE })).resolves.toMatchObject({ duplicate: false });
    } finally {
      await module.close();
    }
  });

  it.each([
    ['forRoot', (options: WebhookModuleOptions) => WebhookModule.forRoot(options)],
    ['forRootAsync', (options: WebhookModuleOptions) => WebhookModule.forRootAsync({ useFactory: () => options })],
  ])('%s: a bad catalog stops the start-up with an error naming the entry', async (_how, make) => {
    const bad = [catalogEntries()[0], { ...catalogEntries()[1], example: { customer_id: 'cus_1', changes: { plan: 'gold' } } }];
    const err = await rejection(
      (async () => {
        const module = await Test.createTestingModule({ imports: [make({ ...FAST, event_catalog: bad })] }).compile();
        await module.close();
      })(),
    );
    expect(err).toBeInstanceOf(InvalidWebhookConfigError);
    expect(err.message).toBe('invalid webhook config "event_catalog": [1] "customer.updated": example does not match its own schema: changes.plan: must be one of "free", "pro", "enterprise"');
    const dup = await rejection(Test.createTestingModule({ imports: [make({ event_catalog: [catalogEntries()[0], catalogEntries()[0]] })] }).compile());
    expect(dup.message).toBe('invalid webhook config "event_catalog": [1] "invoice.paid": event_type is already catalogued by entry [0]: each event type has one entry');
  });

  it('without a catalog, any event type is dispatched and subscribed to, as before', async () => {
    const receiver = await TestReceiver.start();
    const { module, close } = await startOnStore('memory', {}, { namespace: 'webhook_catalog' });
    try {
      await module.get(WebhookSubscriptionService).create({ url: receiver.url('/hook'), event_types: ['whatever.*'] });
      await expect(module.get(WebhookDeliveryService).dispatch({ event_type: 'whatever.happened', payload: [1, 'two'] })).resolves.toMatchObject({ delivery_count: 1 });
      await waitFor(() => receiver.received('/hook').length === 1, 'the event');
    } finally {
      await close();
      await receiver.close();
    }
  });
});
