import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import Ajv from 'ajv';
import request from 'supertest';
import type { App } from 'supertest/types';
import { Webhook } from 'standardwebhooks';
import { verifyWebhook, WebhookModule } from '../../lib';
import { ok, TestReceiver } from '../support/receiver';
import { ADMIN_TOKEN, FAST_RETRY_OPTIONS, startApp, TestAdminGuard, type AdminTestApp } from '../admin/admin-test-app';
import { catalogEntries, CUSTOMER_UPDATED_EXAMPLE, INVOICE_PAID_EXAMPLE } from './catalog-fixtures';

describe('admin API with an event catalog', () => {
  let receiver: TestReceiver;
  let t: AdminTestApp;
  let server: App;

  const call = (method: 'get' | 'post' | 'patch', path: string, body?: object, token: string | null = ADMIN_TOKEN) => {
    let req = request(server)[method](path);
    if (token !== null) req = req.set('x-admin-token', token);
    return body === undefined ? req : req.send(body);
  };

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/hook', ok(200));
    t = await startApp(WebhookModule.forRoot({ enable_admin: true, ...FAST_RETRY_OPTIONS, admin_guards: [TestAdminGuard], event_catalog: catalogEntries() }));
    server = t.app.getHttpServer();
  });

  afterAll(async () => {
    await t?.app.close();
    await receiver?.close();
  });

  it('GET /event-types returns each type with a JSON Schema that ajv compiles and that accepts its example', async () => {
    const res = await call('get', '/webhooks/event-types');
    expect(res.status).toBe(200);
    const types = res.body as Array<{ event_type: string; description: string | null; schema: Record<string, unknown>; example: unknown }>;
    expect(types.map((x) => [x.event_type, x.description])).toEqual([
      ['invoice.paid', 'An invoice was paid in full.'],
      ['customer.updated', 'A customer changed plan.'],
    ]);
    expect(types.map((x) => x.example)).toEqual([INVOICE_PAID_EXAMPLE, CUSTOMER_UPDATED_EXAMPLE]);
    for (const { schema, example } of types) {
      // A consumer's strict draft-07 ajv (format names are not checked: the generated schemas say `format: email`).
      const validate = new Ajv({ allErrors: true, validateFormats: false }).compile(schema);
      expect(validate(example)).toBe(true);
    }
    // The class schema is self-contained and really constrains the nested objects.
    const invoice = new Ajv({ validateFormats: false }).compile(types[0].schema);
    expect(invoice({ ...INVOICE_PAID_EXAMPLE, lines: [{ sku: 'plan-pro' }] })).toBe(false);
    expect(invoice.errors?.[0]).toMatchObject({ instancePath: '/lines/0', params: { missingProperty: 'quantity' } });
    // The JSON Schema is passed through as given.
    expect(types[1].schema).toEqual(catalogEntries()[1].schema);
  });

  it('GET /event-types is guarded like every admin route', async () => {
    expect((await call('get', '/webhooks/event-types', undefined, null)).status).toBe(401);
    expect((await call('get', '/webhooks/event-types', undefined, 'wrong')).status).toBe(403);
  });

  it('POST and PATCH /subscriptions naming an uncatalogued type or a wildcard matching none are a 400 naming event_types', async () => {
    for (const event_types of [['invoice.voided'], ['order.*'], ['invoice.paid', 'nope']]) {
      const res = await call('post', '/webhooks/subscriptions', { url: receiver.url('/hook'), event_types });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'INVALID_SUBSCRIPTION', fields: ['event_types'] });
      expect(res.body.message).toContain('event catalog');
    }
    const created = await call('post', '/webhooks/subscriptions', { url: receiver.url('/hook'), event_types: ['invoice.*'] });
    expect(created.status).toBe(201);
    const patched = await call('patch', `/webhooks/subscriptions/${created.body.subscription_id}`, { event_types: ['customer.created'] });
    expect(patched.status).toBe(400);
    expect(patched.body).toMatchObject({ code: 'INVALID_SUBSCRIPTION', fields: ['event_types'] });
    expect((await call('get', `/webhooks/subscriptions/${created.body.subscription_id}`)).body.event_types).toEqual(['invoice.*']);
  });

  it('POST /subscriptions/:id/test with { event_type } sends the example to a real receiver, signed', async () => {
    const created = await call('post', '/webhooks/subscriptions', { url: receiver.url('/hook'), event_types: ['invoice.paid', 'customer.*'] });
    const { subscription_id, secret } = created.body as { subscription_id: string; secret: string };
    const res = await call('post', `/webhooks/subscriptions/${subscription_id}/test`, { event_type: 'customer.updated' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subscription_id, event_type: 'customer.updated', status: 'delivered', status_code: 200 });
    const got = receiver.received('/hook').find((r) => r.headers['webhook-id'] === res.body.event_id)!;
    expect(JSON.parse(got.body)).toMatchObject({ event_type: 'customer.updated', payload: CUSTOMER_UPDATED_EXAMPLE, source: 'nestjs-webhooks' });
    expect(verifyWebhook(got.body, got.headers, secret)).toBe(true);
    expect(new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).toMatchObject({ payload: CUSTOMER_UPDATED_EXAMPLE });

    // Without a body, webhook.test as before.
    const plain = await call('post', `/webhooks/subscriptions/${subscription_id}/test`);
    expect(plain.status).toBe(200);
    expect(plain.body.event_type).toBe('webhook.test');

    // Refusals: a type the catalog lacks, one the subscription does not receive, a malformed body.
    for (const [body, message] of [
      [{ event_type: 'invoice.voided' }, 'not in the event catalog'],
      [{ event_type: 'customer.updated' }, 'does not receive that type'],
    ] as const) {
      const narrow = await call('post', '/webhooks/subscriptions', { url: receiver.url('/hook'), event_types: ['invoice.paid'] });
      const refused = await call('post', `/webhooks/subscriptions/${narrow.body.subscription_id}/test`, body);
      expect(refused.status).toBe(400);
      expect(refused.body).toMatchObject({ code: 'INVALID_EVENT' });
      expect(refused.body.message).toContain(message);
    }
    const malformed = await call('post', `/webhooks/subscriptions/${subscription_id}/test`, { event_type: 5 });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ code: 'VALIDATION_FAILED', fields: ['event_type'] });
    const unknownField = await call('post', `/webhooks/subscriptions/${subscription_id}/test`, { payload: {} });
    expect(unknownField.status).toBe(400);
  });
});

describe('admin API without an event catalog', () => {
  it('GET /event-types is an empty array, and any event type may be subscribed to', async () => {
    const t = await startApp(WebhookModule.forRoot({ enable_admin: true, ...FAST_RETRY_OPTIONS, admin_guards: [TestAdminGuard] }));
    try {
      const server = t.app.getHttpServer();
      const res = await request(server).get('/webhooks/event-types').set('x-admin-token', ADMIN_TOKEN);
      expect(res.status).toBe(200);
      expect(res.body).toEqual([]);
      const created = await request(server).post('/webhooks/subscriptions').set('x-admin-token', ADMIN_TOKEN).send({ url: 'http://127.0.0.1:9/x', event_types: ['anything.*'] });
      expect(created.status).toBe(201);
      const test = await request(server).post(`/webhooks/subscriptions/${created.body.subscription_id}/test`).set('x-admin-token', ADMIN_TOKEN).send({ event_type: 'anything.goes' });
      expect(test.status).toBe(400);
      expect(test.body.message).toContain('not in the event catalog');
    } finally {
      await t.app.close();
    }
  });
});
