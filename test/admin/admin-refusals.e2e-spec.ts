import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { App } from 'supertest/types';
import type { WebhookSubscriptionStore } from '../../lib/domain/stores';
import { WEBHOOK_SUBSCRIPTION_STORE } from '../../lib/webhook.constants';
import { WebhookModule } from '../../lib/webhook.module';
import { storeSubscriptionDirectly } from '../hardening/helpers';
import { ADMIN_TOKEN, startApp, TestAdminGuard, waitForAttempt, type AdminTestApp } from './admin-test-app';

/** Issue 18: the admin API refuses overrides above their ceilings, and SSRF refusals name no address. */
describe('admin API: override ceilings and SSRF refusals', () => {
  let t: AdminTestApp;
  let server: App;

  const call = (method: 'get' | 'post' | 'patch', path: string, body?: object) => {
    const req = request(server)[method](path).set('x-admin-token', ADMIN_TOKEN);
    return body === undefined ? req : req.send(body);
  };

  beforeAll(async () => {
    // The SSRF guard on (the default); ceilings by default: 25 attempts, 60 s, half of 64 in flight.
    t = await startApp(WebhookModule.forRoot({ enable_admin: true, admin_guards: [TestAdminGuard], max_concurrent_deliveries: 64, lease_seconds: 300, retry_max_attempts: 1 }));
    server = t.app.getHttpServer();
  });

  afterAll(async () => {
    await t?.app.close();
  });

  it.each([
    ['max_concurrent_per_endpoint', 33, 'max_concurrent_per_endpoint 33 is over the ceiling 32 (max_concurrent_per_endpoint_ceiling; by default half of max_concurrent_deliveries)'],
    ['retry_max_attempts', 1000, 'retry_max_attempts 1000 is over the ceiling 25 (retry_max_attempts_ceiling;'],
    ['delivery_timeout_seconds', 3600, 'delivery_timeout_seconds 3600 is over the ceiling 60 (delivery_timeout_seconds_ceiling;'],
  ])('%s %d: POST and PATCH are a 400 naming the field and the ceiling; nothing changes', async (field, value, message) => {
    const before = await t.subscriptions.list({ active_only: false });
    const created = await call('post', '/webhooks/subscriptions', { url: 'https://93.184.215.14/hook', [field]: value });
    expect(created.status).toBe(400);
    expect(created.body).toMatchObject({ statusCode: 400, code: 'INVALID_SUBSCRIPTION', fields: [field] });
    expect(created.body.message).toContain(message);
    expect(await t.subscriptions.list({ active_only: false })).toHaveLength(before.length);

    const sub = await t.subscriptions.create({ url: 'https://93.184.215.14/hook' });
    const patched = await call('patch', `/webhooks/subscriptions/${sub.subscription_id}`, { [field]: value, description: 'changed' });
    expect(patched.status).toBe(400);
    expect(patched.body).toMatchObject({ code: 'INVALID_SUBSCRIPTION', fields: [field] });
    expect(patched.body.message).toContain(message);
    expect(await t.subscriptions.get(sub.subscription_id)).toMatchObject({ [field]: null, description: null });
  });

  it('a URL whose host resolves to a private address is a 400 that says so without naming the address', async () => {
    for (const url of ['http://localhost:9/hook', 'http://api.localhost/hook']) {
      const res = await call('post', '/webhooks/subscriptions', { url });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('INVALID_WEBHOOK_URL');
      expect(res.body.message).toMatch(/resolves to a private or reserved address; set allow_private_urls or add it to allowed_hosts/);
      expect(res.text).not.toMatch(/127\.0\.0\.1|::1|loopback/);
    }
    const sub = await t.subscriptions.create({ url: 'https://93.184.215.14/hook' });
    const res = await call('patch', `/webhooks/subscriptions/${sub.subscription_id}`, { url: 'http://localhost/' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/refused: localhost resolves to a private or reserved address/);
    expect(res.text).not.toMatch(/127\.0\.0\.1|::1|loopback/);
  });

  it('a send refused at connect time (the name changed where it points) shows no address in the attempt log', async () => {
    const store = t.app.get<WebhookSubscriptionStore>(WEBHOOK_SUBSCRIPTION_STORE);
    const sub = await storeSubscriptionDirectly(store, 'http://localhost:9/hook', { event_types: ['ssrf.later'] });
    await t.delivery.dispatch({ event_type: 'ssrf.later', payload: {} });
    await waitForAttempt(t.store, (a) => a.subscription_id === sub.subscription_id, 'the refused attempt');
    const log = await call('get', `/webhooks/deliveries?subscription_id=${sub.subscription_id}`);
    expect(log.status).toBe(200);
    expect(log.body[0].error_message).toMatch(/^refused: localhost resolves to a private or reserved address/);
    expect(log.text).not.toMatch(/127\.0\.0\.1|::1|loopback/);
  });
});
