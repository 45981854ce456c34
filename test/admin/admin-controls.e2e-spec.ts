import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { App } from 'supertest/types';
import { Webhook } from 'standardwebhooks';
import { WebhookModule } from '../../lib/webhook.module';
import { ok, TestReceiver, waitFor } from '../support/receiver';
import { ADMIN_TOKEN, startApp, TestAdminGuard, type AdminTestApp } from './admin-test-app';

/** Header values the API must never show. */
const CREDENTIAL = 'Bearer admin-visible-n0t-ever';
const SHORT = 'k-123';

describe('admin API: per-subscription controls', () => {
  let receiver: TestReceiver;
  let t: AdminTestApp;
  let server: App;
  /** Every response body, to check that no header value ever appears. */
  const texts: string[] = [];

  async function call(method: 'get' | 'post' | 'patch', path: string, body?: object) {
    let req = request(server)[method](path).set('x-admin-token', ADMIN_TOKEN);
    if (body !== undefined) req = req.send(body);
    const res = await req;
    texts.push(res.text);
    return res;
  }

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/ok', ok()).on('/down', ok(500, 'down'));
    t = await startApp(
      WebhookModule.forRoot({ enable_admin: true, admin_guards: [TestAdminGuard], allow_private_urls: true, lease_seconds: 20, delivery_timeout_seconds: 5, signature_header: 'X-Signature' }),
    );
    server = t.app.getHttpServer();
  });

  afterAll(async () => {
    await t?.app.close();
    await receiver?.close();
  });

  const controls = {
    headers: { Authorization: CREDENTIAL, 'x-key': SHORT },
    filter: { 'payload.amount': { $gte: 100 }, $or: [{ 'payload.currency': 'EUR' }, { source: { $in: ['a', 'b'] } }] },
    retry_max_attempts: 7,
    delivery_timeout_seconds: 2.5,
    max_concurrent_per_endpoint: 3,
    rate_limit_per_second: 40,
  };
  const shown = {
    headers: { authorization: `****${CREDENTIAL.slice(-4)}`, 'x-key': '****' },
    filter: controls.filter,
    retry_max_attempts: 7,
    delivery_timeout_seconds: 2.5,
    max_concurrent_per_endpoint: 3,
    rate_limit_per_second: 40,
  };
  let id: string;

  it('POST /subscriptions takes every control and shows them, header values masked even there', async () => {
    const res = await call('post', '/webhooks/subscriptions', { url: receiver.url('/ok'), ...controls });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject(shown);
    id = res.body.subscription_id;
    // stored in full
    expect((await t.subscriptions.get(id)).headers).toEqual({ authorization: CREDENTIAL, 'x-key': SHORT });
  });

  it('GET one and GET the list show them masked', async () => {
    expect((await call('get', `/webhooks/subscriptions/${id}`)).body).toMatchObject(shown);
    const list = await call('get', '/webhooks/subscriptions');
    expect(list.body.find((s: { subscription_id: string }) => s.subscription_id === id)).toMatchObject(shown);
  });

  it('PATCH changes each control, and null clears it (back to the module config)', async () => {
    const changed = await call('patch', `/webhooks/subscriptions/${id}`, { headers: { 'x-other': 'value-of-some-length-here' }, filter: { event_type: 'a.b' }, retry_max_attempts: 1 });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ headers: { 'x-other': '****here' }, filter: { event_type: 'a.b' }, retry_max_attempts: 1, delivery_timeout_seconds: 2.5 });
    const cleared = await call('patch', `/webhooks/subscriptions/${id}`, { headers: null, filter: null, retry_max_attempts: null, delivery_timeout_seconds: null, max_concurrent_per_endpoint: null, rate_limit_per_second: null });
    expect(cleared.status).toBe(200);
    expect(cleared.body).toMatchObject({ headers: {}, filter: null, retry_max_attempts: null, delivery_timeout_seconds: null, max_concurrent_per_endpoint: null, rate_limit_per_second: null });
    await call('patch', `/webhooks/subscriptions/${id}`, controls);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['a header name that is not a token', { headers: { 'bad name': 'v' } }, 'headers', 'is not a valid HTTP header name'],
    ['a header value with CR/LF', { headers: { 'x-a': 'v\r\nx-b: 1' } }, 'headers', 'headers.x-a: has a character that is not allowed'],
    ['a header value that is not a string', { headers: { 'x-a': 5 } }, 'headers', 'headers.x-a: must be a string'],
    ['headers that are not an object', { headers: ['x-a'] }, 'headers', 'must be an object'],
    ['content-type', { headers: { 'Content-Type': 'text/plain' } }, 'headers', 'content-type is set by the module'],
    ['host', { headers: { host: 'evil.example' } }, 'headers', 'host is set by the module'],
    ['a filter with a bad operand', { filter: { $and: [{ 'payload.a': 1 }, { 'payload.amount': { $gt: true } }] } }, 'filter', 'filter.$and[1].payload.amount.$gt: must be a number or a string'],
    ['a filter with an unknown operator', { filter: { 'payload.a': { $regex: '.*' } } }, 'filter', 'filter.payload.a.$regex: is not an operator'],
    ['a filter on an unknown field', { filter: { amount: 1 } }, 'filter', 'filter.amount: is not a field'],
    ['retry_max_attempts 0', { retry_max_attempts: 0 }, 'retry_max_attempts', 'retry_max_attempts must be an integer >= 1'],
    ['retry_max_attempts as a string', { retry_max_attempts: '3' }, 'retry_max_attempts', 'retry_max_attempts must be an integer >= 1'],
    ['delivery_timeout_seconds 0', { delivery_timeout_seconds: 0 }, 'delivery_timeout_seconds', 'delivery_timeout_seconds must be a number > 0'],
    ['max_concurrent_per_endpoint 2.5', { max_concurrent_per_endpoint: 2.5 }, 'max_concurrent_per_endpoint', 'max_concurrent_per_endpoint must be an integer >= 1'],
    ['rate_limit_per_second 0', { rate_limit_per_second: 0 }, 'rate_limit_per_second', 'rate_limit_per_second must be an integer between 1 and 10000'],
  ])('POST and PATCH with %s are a 400 naming the field; nothing changes', async (_name, body, field, message) => {
    for (const [method, path] of [['post', '/webhooks/subscriptions'], ['patch', `/webhooks/subscriptions/${id}`]] as const) {
      const res = await call(method, path, { ...(method === 'post' ? { url: receiver.url('/ok') } : {}), ...body });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', fields: [field] });
      expect(res.body.message.join(' | ')).toContain(message);
    }
    expect((await call('get', `/webhooks/subscriptions/${id}`)).body).toMatchObject(shown);
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['the signature header under its configured name', { headers: { 'x-signature': 'forged' } }, 'headers', 'headers.x-signature: x-signature is set by the module'],
    ['the event id header', { headers: { 'webhook-id': 'forged' } }, 'headers', 'headers.webhook-id: webhook-id is set by the module'],
    ['a timeout the lease cannot outlive', { delivery_timeout_seconds: 20 }, 'delivery_timeout_seconds', 'must be less than lease_seconds (20)'],
  ])('what depends on the module config (%s) is a 400 naming the field too', async (_name, body, field, message) => {
    const res = await call('patch', `/webhooks/subscriptions/${id}`, body);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'INVALID_SUBSCRIPTION', fields: [field] });
    expect(res.body.message).toContain(message);
    expect((await call('get', `/webhooks/subscriptions/${id}`)).body).toMatchObject(shown);
  });

  it('POST /subscriptions/:id/test sends a signed webhook.test with the headers, and answers with the finished attempt', async () => {
    const before = receiver.received('/ok').length;
    const res = await call('post', `/webhooks/subscriptions/${id}/test`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ subscription_id: id, event_type: 'webhook.test', status: 'delivered', status_code: 200, attempt_number: 1, error_message: null, next_retry_at: null });
    expect(res.body.duration_ms).toBeGreaterThanOrEqual(0);
    const [req] = receiver.received('/ok').slice(before);
    expect(req.headers.authorization).toBe(CREDENTIAL);
    const secret = (await t.subscriptions.get(id)).secret;
    // the module signs under its configured name; standardwebhooks reads webhook-signature
    expect(new Webhook(secret).verify(req.body, { ...req.headers, 'webhook-signature': req.headers['x-signature'] } as unknown as Record<string, string>)).toMatchObject({ event_type: 'webhook.test' });
    // logged like any attempt
    const log = await call('get', `/webhooks/deliveries?subscription_id=${id}`);
    expect(log.body[0]).toMatchObject({ attempt_id: res.body.attempt_id, event_type: 'webhook.test', status: 'delivered' });
  });

  it('POST /subscriptions/:id/test reports a failing endpoint as a failed attempt (200, not retried); an unknown id is a 404', async () => {
    const down = await call('post', '/webhooks/subscriptions', { url: receiver.url('/down') });
    const res = await call('post', `/webhooks/subscriptions/${down.body.subscription_id}/test`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'failed', status_code: 500, error_message: 'HTTP 500: down', next_retry_at: null });
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.received('/down')).toHaveLength(1);
    const missing = await call('post', '/webhooks/subscriptions/00000000-0000-0000-0000-000000000000/test');
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'SUBSCRIPTION_NOT_FOUND' });
  });

  it('deliveries to the subscription carry its headers', async () => {
    const before = receiver.received('/ok').length;
    await t.delivery.dispatch({ event_type: 'invoice.paid', payload: { amount: 150, currency: 'EUR' } });
    const [req] = await waitFor(() => receiver.received('/ok').length > before && receiver.received('/ok').slice(before), 'the delivery');
    expect(req.headers['x-key']).toBe(SHORT);
  });

  it('never shows a header value in any response', () => {
    expect(texts.length).toBeGreaterThan(20);
    for (const text of texts) {
      expect(text).not.toContain(CREDENTIAL);
      expect(text).not.toContain(SHORT);
    }
  });
});
