import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { App } from 'supertest/types';
import type { WebhookSubscriptionStore } from '../../lib/domain/stores';
import { storeSubscriptionDirectly } from '../hardening/helpers';
import { InvalidSubscriptionError } from '../../lib/domain/webhook.error';
import { MemorySubscriptionStore } from '../../lib/stores/memory';
import { WEBHOOK_SUBSCRIPTION_STORE } from '../../lib/webhook.constants';
import { WebhookModule } from '../../lib/webhook.module';
import { ADMIN_TOKEN, FAST_RETRY_OPTIONS, startApp, TestAdminGuard, type AdminTestApp } from '../admin/admin-test-app';
import { ok, TestReceiver, waitFor } from '../support/receiver';
import { typeOrmHarness, type TypeOrmHarness } from '../stores/typeorm-harness';

/**
 * Issue 18.2: a subscription pattern such as `'*'.repeat(10) + 'Z'` took 1.5 s to match one event type (each extra
 * star about 4.5 times more), on every dispatch, in every replica. Such patterns are now refused wherever a
 * subscription is written, and those stored before are matched without stalling.
 */

/** The pattern of the issue: 1.5 s per match with the old RegExp. */
const ATTACK = '*'.repeat(10) + 'Z';
const NINE_STARS = 'a.*'.repeat(9);
const TYPE = 'invoice.payment.succeeded';

/** The error `call` rejects with. */
async function refusal(call: () => Promise<unknown>): Promise<InvalidSubscriptionError> {
  const error = await call().then(
    () => null,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(InvalidSubscriptionError);
  return error as InvalidSubscriptionError;
}

describe('event type patterns: refused where subscriptions are written, matched fast where stored', () => {
  let receiver: TestReceiver;
  let t: AdminTestApp;
  let server: App;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/hook', ok(200));
    t = await startApp(WebhookModule.forRoot({ enable_admin: true, ...FAST_RETRY_OPTIONS, admin_guards: [TestAdminGuard] }));
    server = t.app.getHttpServer();
  });

  afterAll(async () => {
    await t?.app.close();
    await receiver?.close();
  });

  it('create() refuses a run of stars and more than 8 stars, naming event_types; nothing is stored', async () => {
    const before = (await t.subscriptions.list({ active_only: false })).length;
    const run = await refusal(() => t.subscriptions.create({ url: receiver.url('/hook'), event_types: ['invoice.*', ATTACK] }));
    expect(run.field).toBe('event_types');
    expect(run.message).toBe(`event_types: "${ATTACK}" has consecutive '*'; one '*' already matches any run of characters`);
    const many = await refusal(() => t.subscriptions.create({ url: receiver.url('/hook'), event_types: [NINE_STARS] }));
    expect(many.field).toBe('event_types');
    expect(many.message).toBe(`event_types: "${NINE_STARS}" has 9 '*' wildcards; a pattern may hold at most 8`);
    expect(await t.subscriptions.list({ active_only: false })).toHaveLength(before);
  });

  it('createMany() refuses the batch naming the index, and stores none of it', async () => {
    const before = (await t.subscriptions.list({ active_only: false })).length;
    const error = await refusal(() =>
      t.subscriptions.createMany([
        { url: receiver.url('/hook'), event_types: ['invoice.*'] },
        { url: receiver.url('/hook'), event_types: ['a**b'] },
      ]),
    );
    expect(error.field).toBe('event_types');
    expect(error.message).toMatch(/^subscription \[1\]: event_types: "a\*\*b" has consecutive '\*'/);
    expect(await t.subscriptions.list({ active_only: false })).toHaveLength(before);
  });

  it('update() refuses it and leaves the subscription as it was', async () => {
    const sub = await t.subscriptions.create({ url: receiver.url('/hook'), event_types: ['user.*'] });
    const error = await refusal(() => t.subscriptions.update(sub.subscription_id, { event_types: [ATTACK] }));
    expect(error.field).toBe('event_types');
    expect((await t.subscriptions.get(sub.subscription_id)).event_types).toEqual(['user.*']);
    await t.subscriptions.delete(sub.subscription_id);
  });

  it('the admin API answers 400 naming event_types, on create and on update', async () => {
    const created = await request(server)
      .post('/webhooks/subscriptions')
      .set('x-admin-token', ADMIN_TOKEN)
      .send({ url: receiver.url('/hook'), event_types: [ATTACK] });
    expect(created.status).toBe(400);
    expect(created.body.fields).toEqual(['event_types']);
    expect(created.body.message).toMatch(/^event_types: ".+" has consecutive '\*'/);
    const nine = await request(server)
      .post('/webhooks/subscriptions')
      .set('x-admin-token', ADMIN_TOKEN)
      .send({ url: receiver.url('/hook'), event_types: [NINE_STARS] });
    expect(nine.status).toBe(400);
    expect(nine.body.fields).toEqual(['event_types']);
    expect(nine.body.message).toMatch(/at most 8/);
    const list = await request(server).get('/webhooks/subscriptions').set('x-admin-token', ADMIN_TOKEN);
    expect(JSON.stringify(list.body)).not.toContain('**');

    const sub = await t.subscriptions.create({ url: receiver.url('/hook'), event_types: ['user.*'] });
    const patched = await request(server)
      .patch(`/webhooks/subscriptions/${sub.subscription_id}`)
      .set('x-admin-token', ADMIN_TOKEN)
      .send({ event_types: ['user.**'] });
    expect(patched.status).toBe(400);
    expect(patched.body.fields).toEqual(['event_types']);
    expect((await t.subscriptions.get(sub.subscription_id)).event_types).toEqual(['user.*']);
    await t.subscriptions.delete(sub.subscription_id);
  });

  it('a dispatch matches subscriptions stored with old-style patterns of many stars without stalling', async () => {
    const store = t.app.get<WebhookSubscriptionStore>(WEBHOOK_SUBSCRIPTION_STORE);
    expect(store).toBeInstanceOf(MemorySubscriptionStore);
    await storeSubscriptionDirectly(store, receiver.url('/hook'), { subscription_id: 'old-never', event_types: ['*'.repeat(60) + 'Z'] });
    await storeSubscriptionDirectly(store, receiver.url('/hook'), { subscription_id: 'old-hit', event_types: ['*'.repeat(30) + 'payment' + '*'.repeat(30)] });
    const start = performance.now();
    const result = await t.delivery.dispatch({ event_type: TYPE, payload: { n: 1 } });
    // The old RegExp would take far longer than the age of the universe on the first pattern.
    expect(performance.now() - start).toBeLessThan(2_000);
    expect(result.delivery_count).toBe(1);
    await waitFor(() => receiver.received('/hook').find((r) => r.body.includes(result.event_id)), 'the delivery to old-hit');
  });
});

describe('event type patterns: a TypeORM store lists old-style patterns by event type without stalling', () => {
  let h: TypeOrmHarness;

  beforeAll(async () => {
    h = await typeOrmHarness('sqlite', { namespace: 'webhook_event_type_patterns' });
  });

  afterAll(async () => {
    await h?.close();
  });

  it('on SQLite', async () => {
    await storeSubscriptionDirectly(h.subscriptions, 'https://hooks.example.com/never', { subscription_id: 'old-never', event_types: ['*'.repeat(60) + 'Z'] });
    await storeSubscriptionDirectly(h.subscriptions, 'https://hooks.example.com/hit', { subscription_id: 'old-hit', event_types: ['*'.repeat(30) + 'payment' + '*'.repeat(30)] });
    await storeSubscriptionDirectly(h.subscriptions, 'https://hooks.example.com/other', { subscription_id: 'other', event_types: ['user.*'] });
    const start = performance.now();
    expect((await h.subscriptions.list({ event_type: TYPE })).map((s) => s.subscription_id)).toEqual(['old-hit']);
    expect((await h.subscriptions.match({ event_type: TYPE, tenant_id: null })).map((s) => s.subscription_id)).toEqual(['old-hit']);
    expect(performance.now() - start).toBeLessThan(2_000);
  });
});
