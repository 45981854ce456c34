import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { App } from 'supertest/types';
import { WebhookModule } from '../../lib/webhook.module';
import { failTimes, ok, TestReceiver, waitFor } from '../support/receiver';
import { ADMIN_TOKEN, FAST_RETRY_OPTIONS, startApp, TestAdminGuard, type AdminTestApp } from './admin-test-app';

describe('admin stats routes and attempt filters', () => {
  let receiver: TestReceiver;
  let t: AdminTestApp;
  let server: App;
  const get = (path: string, token: string | null = ADMIN_TOKEN) => {
    const req = request(server).get(path);
    return token === null ? req : req.set('x-admin-token', token);
  };

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    t = await startApp(WebhookModule.forRoot({ enable_admin: true, ...FAST_RETRY_OPTIONS, admin_guards: [TestAdminGuard] }));
    server = t.app.getHttpServer() as App;
  });

  afterAll(async () => {
    await t?.app.close();
    await receiver?.close();
  });

  it('GET /<prefix>/subscriptions/:id/stats gives the endpoint health over the window', async () => {
    receiver.on('/flaky', failTimes(1)).on('/ok', ok(200));
    const flaky = await t.subscriptions.create({ url: receiver.url('/flaky'), event_types: ['order.paid'], description: 'flaky' });
    await t.subscriptions.create({ url: receiver.url('/ok'), event_types: ['order.created'] });
    await t.delivery.dispatch({ event_type: 'order.paid', payload: { n: 1 } });
    await t.delivery.dispatch({ event_type: 'order.created', payload: { n: 2 } });
    await waitFor(async () => (await t.store.getAttempts({ status: 'delivered' })).length === 2, 'both delivered');

    const res = await get(`/webhooks/subscriptions/${flaky.subscription_id}/stats?window=1h`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      subscription_id: flaky.subscription_id,
      active: true,
      disabled_reason: null,
      window: '1h',
      bucket: '5m',
      since: expect.stringMatching(/:(00|05|10|15|20|25|30|35|40|45|50|55):00\.000Z$/),
      until: expect.any(String),
      attempts: 2,
      delivered: 1,
      failed: 1,
      success_rate: 0.5,
      p50_ms: expect.any(Number),
      p95_ms: expect.any(Number),
      last_success_at: expect.any(String),
      consecutive_failures: 0,
      series: expect.any(Array),
    });
    expect(Date.parse(res.body.until) - Date.parse(res.body.since)).toBe(3_600_000);
    expect(res.body.series).toHaveLength(12);
    const series = res.body.series as Array<{ attempts: number; failed: number }>;
    expect([series.reduce((n, b) => n + b.attempts, 0), series.reduce((n, b) => n + b.failed, 0)]).toEqual([2, 1]);
    expect(Date.parse(res.body.last_success_at)).toBe((await t.store.getAttempts({ subscription_id: flaky.subscription_id, status: 'delivered' }))[0].attempted_at.getTime());
  });

  it('GET /<prefix>/stats gives every endpoint together, with the queue', async () => {
    const res = await get('/webhooks/stats');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ window: '24h', bucket: '1h', attempts: 3, delivered: 2, failed: 1, consecutive_failures: 0, queue_lag_seconds: 0, pending: 0, dead_letters: 0 });
    expect(res.body.series).toHaveLength(24);
    expect(res.body.success_rate).toBeCloseTo(2 / 3);
  });

  it('refuses a bad window or bucket naming the field, an unknown subscription with 404, and anyone without credentials', async () => {
    const sub = (await t.subscriptions.list({ limit: 1 }))[0].subscription_id;
    for (const [query, field] of [
      ['window=abc', 'window'],
      ['window=7m', 'window'],
      ['window=24h&bucket=7h', 'bucket'],
      ['window=30d&bucket=5m', 'bucket'],
      ['since=2031-01-01T00:00:00Z', 'since'],
    ]) {
      const res = await get(`/webhooks/subscriptions/${sub}/stats?${query}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'VALIDATION_FAILED', fields: [field] });
    }
    expect((await get('/webhooks/stats?window=1y')).body.fields).toEqual(['window']);
    const missing = await get('/webhooks/subscriptions/nope/stats');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('SUBSCRIPTION_NOT_FOUND');
    expect((await get('/webhooks/stats', null)).status).toBe(401);
  });

  it('filters the attempt log by event type and time', async () => {
    const all = (await get('/webhooks/deliveries')).body as Array<{ attempt_id: string; event_type: string; attempted_at: string }>;
    expect(all).toHaveLength(3);
    const created = await get('/webhooks/deliveries?event_type=order.created');
    expect(created.body.map((a: { event_type: string }) => a.event_type)).toEqual(['order.created']);
    const oldest = all[all.length - 1];
    const since = await get(`/webhooks/deliveries?since=${encodeURIComponent(new Date(Date.parse(oldest.attempted_at) + 1).toISOString())}`);
    expect(since.body.map((a: { attempt_id: string }) => a.attempt_id)).toEqual(all.slice(0, -1).map((a) => a.attempt_id));
    const until = await get(`/webhooks/deliveries?until=${encodeURIComponent(new Date(Date.parse(oldest.attempted_at) + 1).toISOString())}`);
    expect(until.body.map((a: { attempt_id: string }) => a.attempt_id)).toEqual([oldest.attempt_id]);
    const bad = await get('/webhooks/deliveries?since=yesterday&event_type=no%20spaces');
    expect(bad.status).toBe(400);
    expect(bad.body.fields.sort()).toEqual(['event_type', 'since']);
  });
});
