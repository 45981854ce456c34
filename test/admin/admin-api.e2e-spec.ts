import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Inject, Injectable, Logger, type CanActivate, type ExecutionContext, type INestApplication } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import { createHash } from 'node:crypto';
import { of } from 'rxjs';
import request from 'supertest';
import type { App } from 'supertest/types';
import type { DataSource } from 'typeorm';
import type { WebhookDeliveryStore } from '../../lib/domain/stores';
import type { WebhookDeliveryService } from '../../lib/delivery/webhook-delivery.service';
import { WebhookModule } from '../../lib/webhook.module';
import { createTestDataSource, removeSqliteFiles } from '../support/databases';
import { ok, TestReceiver, waitFor } from '../support/receiver';
import { ADMIN_TOKEN, FAST_RETRY_OPTIONS, startApp, TestAdminGuard, waitForAttempt, type AdminTestApp } from './admin-test-app';

type Method = 'get' | 'post' | 'patch' | 'delete';

interface Logged {
  method: Method;
  path: string;
  status: number;
  text: string;
  /** A response allowed to show the full secret (create, rotate-secret). */
  reveal: boolean;
}

const WARNING = 'Admin routes under /webhooks are enabled with no admin_guards: anyone who can reach this app can read and change webhook subscriptions. Pass admin_guards: [YourAuthGuard].';

/** Messages of a 400 as one string, to check that it names the field. */
function messages(body: { message?: unknown }): string {
  return Array.isArray(body.message) ? body.message.join(' | ') : String(body.message);
}

describe('admin API (enable_admin with admin_guards)', () => {
  let receiver: TestReceiver;
  let t: AdminTestApp;
  let server: App;
  let store: WebhookDeliveryStore;
  let delivery: WebhookDeliveryService;
  const log: Logged[] = [];
  const secrets = new Set<string>();

  /** One authenticated request; every response is logged for the cross-cutting checks at the end. */
  async function call(method: Method, path: string, body?: unknown, opts: { reveal?: boolean; token?: string | null; raw?: string } = {}) {
    let req = request(server)[method](path);
    const token = opts.token === undefined ? ADMIN_TOKEN : opts.token;
    if (token !== null) req = req.set('x-admin-token', token);
    if (opts.raw !== undefined) req = req.set('content-type', 'application/json').send(opts.raw);
    else if (body !== undefined) req = req.send(body as object);
    const res = await req;
    log.push({ method, path, status: res.status, text: res.text, reveal: opts.reveal ?? false });
    return res;
  }

  async function createSub(body: Record<string, unknown>) {
    const res = await call('post', '/webhooks/subscriptions', body, { reveal: true });
    expect(res.status).toBe(201);
    secrets.add(res.body.secret);
    return res.body as { subscription_id: string; secret: string; url: string };
  }

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/ok', ok(200)).on('/fail', ok(500, 'upstream exploded <script>alert(1)</script>'));
    t = await startApp(WebhookModule.forRoot({ enable_admin: true, ...FAST_RETRY_OPTIONS, admin_guards: [TestAdminGuard] }));
    server = t.app.getHttpServer();
    store = t.store;
    delivery = t.delivery;
  });

  afterAll(async () => {
    await t?.app.close();
    await receiver?.close();
  });

  describe('access control', () => {
    const routes: Array<[Method, string]> = [
      ['get', '/webhooks/health'],
      ['get', '/webhooks/subscriptions'],
      ['post', '/webhooks/subscriptions'],
      ['get', '/webhooks/subscriptions/x'],
      ['patch', '/webhooks/subscriptions/x'],
      ['delete', '/webhooks/subscriptions/x'],
      ['post', '/webhooks/subscriptions/x/activate'],
      ['post', '/webhooks/subscriptions/x/deactivate'],
      ['post', '/webhooks/subscriptions/x/rotate-secret'],
      ['post', '/webhooks/subscriptions/x/test'],
      ['get', '/webhooks/deliveries'],
      ['get', '/webhooks/deliveries/x'],
      ['post', '/webhooks/deliveries/x/redeliver'],
      ['get', '/webhooks/dead-letters'],
      ['post', '/webhooks/dead-letters/redrive'],
      ['get', '/webhooks/ui'],
    ];

    it.each(routes)('%s %s: 401 without credentials, 403 with wrong ones', async (method, path) => {
      const missing = await call(method, path, method === 'get' || method === 'delete' ? undefined : {}, { token: null });
      expect(missing.status).toBe(401);
      const wrong = await call(method, path, method === 'get' || method === 'delete' ? undefined : {}, { token: 'nope' });
      expect(wrong.status).toBe(403);
    });

    it('a denied request changes nothing', async () => {
      const res = await call('post', '/webhooks/subscriptions', { url: receiver.url('/ok') }, { token: 'nope' });
      expect(res.status).toBe(403);
      expect((await call('get', '/webhooks/health')).body.total_subscriptions).toBe(0);
    });

    it('lets the right credentials through', async () => {
      const res = await call('get', '/webhooks/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ total_subscriptions: 0, active_subscriptions: 0, dead_letter_count: 0 });
    });
  });

  describe('subscriptions', () => {
    let id: string;
    let secret: string;

    it('POST /subscriptions creates one (201) and shows its secret once', async () => {
      const res = await call('post', '/webhooks/subscriptions', {
        url: receiver.url('/ok'),
        event_types: ['invoice.paid', 'user.*'],
        description: 'Billing endpoint',
        tenant_id: 'acme',
        metadata: { team: 'billing' },
      }, { reveal: true });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        subscription_id: expect.any(String),
        url: receiver.url('/ok'),
        secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/=]{40,}$/),
        signature_type: 'hmac-sha256',
        public_key: null,
        event_types: ['invoice.paid', 'user.*'],
        active: true,
        description: 'Billing endpoint',
        tenant_id: 'acme',
        created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        metadata: { team: 'billing' },
        disabled_reason: null,
        previous_secret_expires_at: null,
        headers: {},
        filter: null,
        retry_max_attempts: null,
        delivery_timeout_seconds: null,
        max_concurrent_per_endpoint: null,
        rate_limit_per_second: null,
        ordered: false,
      });
      id = res.body.subscription_id;
      secret = res.body.secret;
      secrets.add(secret);
    });

    it('POST /subscriptions with defaults: all event types, no description', async () => {
      const body = await createSub({ url: receiver.url('/ok') });
      expect(body).toMatchObject({ event_types: null, description: null, tenant_id: null, metadata: {}, active: true });
      await call('delete', `/webhooks/subscriptions/${body.subscription_id}`);
    });

    it.each<[string, unknown, string]>([
      ['missing url', {}, 'url'],
      ['url not a string', { url: 42 }, 'url'],
      ['url empty', { url: '' }, 'url'],
      ['event_types not an array', { url: 'https://example.com/h', event_types: 'invoice.paid' }, 'event_types'],
      ['event_types empty', { url: 'https://example.com/h', event_types: [] }, 'event_types'],
      ['event_types with a bad name', { url: 'https://example.com/h', event_types: ['ok', 'has space'] }, 'event_types'],
      ['event_types with a number', { url: 'https://example.com/h', event_types: [1] }, 'event_types'],
      ['description too long', { url: 'https://example.com/h', description: 'x'.repeat(1001) }, 'description'],
      ['tenant_id not a string', { url: 'https://example.com/h', tenant_id: { a: 1 } }, 'tenant_id'],
      ['metadata not an object', { url: 'https://example.com/h', metadata: 'nope' }, 'metadata'],
      ['an unknown field', { url: 'https://example.com/h', secret: 'whsec_mine' }, 'secret'],
      ['an unknown field (active)', { url: 'https://example.com/h', active: false }, 'active'],
    ])('POST /subscriptions with %s is a 400 naming the field', async (_name, body, field) => {
      const res = await call('post', '/webhooks/subscriptions', body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
      expect(res.body.fields).toContain(field);
      expect(messages(res.body)).toContain(field);
    });

    it('POST /subscriptions with an invalid URL is a 400 INVALID_WEBHOOK_URL', async () => {
      for (const url of ['not a url', 'ftp://example.com/x', 'http://user:pw@example.com/x']) {
        const res = await call('post', '/webhooks/subscriptions', { url });
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request', code: 'INVALID_WEBHOOK_URL' });
        expect(res.body.message).toMatch(/URL/);
      }
    });

    it('POST /subscriptions with malformed JSON or a non-object body is a 400', async () => {
      const malformed = await call('post', '/webhooks/subscriptions', undefined, { raw: '{"url": ' });
      expect(malformed.status).toBe(400);
      const array = await call('post', '/webhooks/subscriptions', [{ url: receiver.url('/ok') }]);
      expect(array.status).toBe(400);
      expect(messages(array.body)).toContain('JSON object');
      const scalar = await call('post', '/webhooks/subscriptions', undefined, { raw: '"https://example.com"' });
      expect(scalar.status).toBe(400);
    });

    it('GET /subscriptions/:id masks the secret and never shows previous_secret', async () => {
      const res = await call('get', `/webhooks/subscriptions/${id}`);
      expect(res.status).toBe(200);
      expect(res.body.secret).toBe(`whsec_****${secret.slice(-4)}`);
      expect(res.body).not.toHaveProperty('previous_secret');
      expect(res.body).toMatchObject({ subscription_id: id, url: receiver.url('/ok'), tenant_id: 'acme' });
    });

    it('GET /subscriptions/:id of an unknown id is a 404', async () => {
      for (const bad of ['00000000-0000-0000-0000-000000000000', 'not-a-uuid', 'x'.repeat(3000), '%E2%9C%93']) {
        const res = await call('get', `/webhooks/subscriptions/${bad}`);
        expect(res.status).toBe(404);
        expect(res.body).toMatchObject({ statusCode: 404, error: 'Not Found', code: 'SUBSCRIPTION_NOT_FOUND' });
      }
    });

    it('GET /subscriptions lists active and inactive ones, masked, with filters and paging', async () => {
      const other = await createSub({ url: receiver.url('/ok?second'), event_types: ['order.created'], tenant_id: 'globex' });
      await call('post', `/webhooks/subscriptions/${other.subscription_id}/deactivate`);

      const all = await call('get', '/webhooks/subscriptions');
      expect(all.status).toBe(200);
      expect(all.body.map((s: { subscription_id: string }) => s.subscription_id)).toEqual([id, other.subscription_id]);
      for (const s of all.body) expect(s.secret).toMatch(/^whsec_\*{4}.{4}$/);

      const active = await call('get', '/webhooks/subscriptions?active=true');
      expect(active.body.map((s: { subscription_id: string }) => s.subscription_id)).toEqual([id]);
      const inactive = await call('get', '/webhooks/subscriptions?active=false');
      expect(inactive.body.map((s: { subscription_id: string }) => s.subscription_id)).toEqual([other.subscription_id]);
      const byType = await call('get', '/webhooks/subscriptions?event_type=user.created');
      expect(byType.body.map((s: { subscription_id: string }) => s.subscription_id)).toEqual([id]);
      const byTenant = await call('get', '/webhooks/subscriptions?tenant_id=globex');
      expect(byTenant.body.map((s: { subscription_id: string }) => s.subscription_id)).toEqual([other.subscription_id]);
      const paged = await call('get', '/webhooks/subscriptions?limit=1&offset=1');
      expect(paged.body.map((s: { subscription_id: string }) => s.subscription_id)).toEqual([other.subscription_id]);
      const beyond = await call('get', '/webhooks/subscriptions?offset=50');
      expect(beyond.body).toEqual([]);

      await call('delete', `/webhooks/subscriptions/${other.subscription_id}`);
    });

    it.each<[string, string]>([
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['limit=abc', 'limit'],
      ['limit=1.5', 'limit'],
      ['offset=-1', 'offset'],
      ['offset=x', 'offset'],
      ['active=yes', 'active'],
      ['active=true&active=false', 'active'],
      ['event_type=has%20space', 'event_type'],
      ['tenant_id=a&tenant_id=b', 'tenant_id'],
      ['sort=url', 'sort'],
    ])('GET /subscriptions?%s is a 400 naming the field', async (query, field) => {
      const res = await call('get', `/webhooks/subscriptions?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.fields).toContain(field);
      expect(messages(res.body)).toContain(field);
    });

    it('PATCH /subscriptions/:id updates url, event_types, description and metadata; secret stays masked', async () => {
      const res = await call('patch', `/webhooks/subscriptions/${id}`, {
        url: receiver.url('/ok?v=2'),
        event_types: ['order.*'],
        description: 'Orders',
        metadata: { team: 'orders', tier: 2 },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ url: receiver.url('/ok?v=2'), event_types: ['order.*'], description: 'Orders', metadata: { team: 'orders', tier: 2 }, tenant_id: 'acme' });
      expect(res.body.secret).toBe(`whsec_****${secret.slice(-4)}`);

      const partial = await call('patch', `/webhooks/subscriptions/${id}`, { description: null });
      expect(partial.status).toBe(200);
      expect(partial.body).toMatchObject({ description: null, event_types: ['order.*'], url: receiver.url('/ok?v=2') });

      const all = await call('patch', `/webhooks/subscriptions/${id}`, { event_types: null });
      expect(all.body.event_types).toBeNull();
      const restored = await call('patch', `/webhooks/subscriptions/${id}`, { url: receiver.url('/ok'), event_types: ['invoice.paid', 'user.*'] });
      expect(restored.status).toBe(200);
    });

    it.each<[string, unknown, string]>([
      ['url null', { url: null }, 'url'],
      ['url a number', { url: 5 }, 'url'],
      ['event_types empty', { event_types: [] }, 'event_types'],
      ['event_types with an empty name', { event_types: [''] }, 'event_types'],
      ['metadata an array', { metadata: [1, 2] }, 'metadata'],
      ['tenant_id (not updatable here)', { tenant_id: 'other' }, 'tenant_id'],
      ['secret', { secret: 'whsec_x' }, 'secret'],
    ])('PATCH /subscriptions/:id with %s is a 400 naming the field', async (_name, body, field) => {
      const res = await call('patch', `/webhooks/subscriptions/${id}`, body);
      expect(res.status).toBe(400);
      expect(res.body.fields).toContain(field);
      expect(messages(res.body)).toContain(field);
    });

    it('PATCH /subscriptions/:id with an invalid URL is a 400; an unknown id a 404', async () => {
      const badUrl = await call('patch', `/webhooks/subscriptions/${id}`, { url: 'javascript:alert(1)' });
      expect(badUrl.status).toBe(400);
      expect(badUrl.body.code).toBe('INVALID_WEBHOOK_URL');
      const unknown = await call('patch', '/webhooks/subscriptions/nope', { description: 'x' });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('SUBSCRIPTION_NOT_FOUND');
      const malformed = await call('patch', `/webhooks/subscriptions/${id}`, undefined, { raw: '{bad json' });
      expect(malformed.status).toBe(400);
    });

    it('POST /subscriptions/:id/deactivate and /activate change the state (masked)', async () => {
      const off = await call('post', `/webhooks/subscriptions/${id}/deactivate`);
      expect(off.status).toBe(200);
      expect(off.body).toMatchObject({ subscription_id: id, active: false });
      expect(off.body.secret).toMatch(/^whsec_\*{4}/);
      expect((await call('get', '/webhooks/health')).body).toMatchObject({ total_subscriptions: 1, active_subscriptions: 0 });
      const on = await call('post', `/webhooks/subscriptions/${id}/activate`);
      expect(on.status).toBe(200);
      expect(on.body).toMatchObject({ subscription_id: id, active: true, disabled_reason: null });
      expect(on.body.secret).toMatch(/^whsec_\*{4}/);
      for (const action of ['activate', 'deactivate', 'rotate-secret']) {
        const res = await call('post', `/webhooks/subscriptions/nope/${action}`);
        expect(res.status).toBe(404);
        expect(res.body.code).toBe('SUBSCRIPTION_NOT_FOUND');
      }
    });

    it('POST /subscriptions/:id/rotate-secret shows the new secret once; the old one is never shown', async () => {
      const res = await call('post', `/webhooks/subscriptions/${id}/rotate-secret`, undefined, { reveal: true });
      expect(res.status).toBe(200);
      expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
      expect(res.body.secret).not.toBe(secret);
      expect(res.body).not.toHaveProperty('previous_secret');
      expect(res.text).not.toContain(secret);
      expect(res.body.previous_secret_expires_at).toEqual(expect.any(String));
      secret = res.body.secret;
      secrets.add(secret);
      const after = await call('get', `/webhooks/subscriptions/${id}`);
      expect(after.body.secret).toBe(`whsec_****${secret.slice(-4)}`);
    });

    it('DELETE /subscriptions/:id answers 204; then it is gone (404)', async () => {
      const temp = await createSub({ url: receiver.url('/ok') });
      const res = await call('delete', `/webhooks/subscriptions/${temp.subscription_id}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await call('get', `/webhooks/subscriptions/${temp.subscription_id}`)).status).toBe(404);
      const again = await call('delete', `/webhooks/subscriptions/${temp.subscription_id}`);
      expect(again.status).toBe(404);
      expect(again.body.code).toBe('SUBSCRIPTION_NOT_FOUND');
    });
  });

  describe('deliveries, dead letters, redelivery and health', () => {
    let okSub: { subscription_id: string };
    let failSub: { subscription_id: string };
    let eventId: string;
    let deadAttemptId: string;

    beforeAll(async () => {
      okSub = await createSub({ url: receiver.url('/ok'), event_types: ['order.*'] });
      failSub = await createSub({ url: receiver.url('/fail'), event_types: ['order.created'] });
      eventId = (await delivery.dispatch({ event_type: 'order.created', payload: { order: 1 } })).event_id;
      await waitForAttempt(store, (a) => a.subscription_id === okSub.subscription_id && a.status === 'delivered', 'the delivered attempt');
      deadAttemptId = (await waitForAttempt(store, (a) => a.subscription_id === failSub.subscription_id && a.status === 'dead_letter', 'the dead letter')).attempt_id;
    });

    it('GET /deliveries lists attempts newest first in the documented shape', async () => {
      const res = await call('get', '/webhooks/deliveries');
      expect(res.status).toBe(200);
      expect(res.body.length).toBe(3);
      const times = res.body.map((a: { attempted_at: string }) => Date.parse(a.attempted_at));
      expect([...times].sort((a, b) => b - a)).toEqual(times);
      const dead = res.body.find((a: { attempt_id: string }) => a.attempt_id === deadAttemptId);
      expect(dead).toEqual({
        attempt_id: deadAttemptId,
        subscription_id: failSub.subscription_id,
        event_id: eventId,
        event_type: 'order.created',
        status: 'dead_letter',
        status_code: 500,
        attempt_number: 2,
        attempted_at: expect.stringMatching(/Z$/),
        next_retry_at: null,
        error_message: expect.any(String),
        duration_ms: expect.any(Number),
      });
    });

    it('GET /deliveries filters by subscription_id, event_id and status, and pages', async () => {
      const bySub = await call('get', `/webhooks/deliveries?subscription_id=${failSub.subscription_id}`);
      expect(bySub.body.map((a: { status: string }) => a.status)).toEqual(['dead_letter', 'failed']);
      const byEvent = await call('get', `/webhooks/deliveries?event_id=${eventId}`);
      expect(byEvent.body).toHaveLength(3);
      const none = await call('get', '/webhooks/deliveries?event_id=unknown');
      expect(none.body).toEqual([]);
      const delivered = await call('get', '/webhooks/deliveries?status=delivered');
      expect(delivered.body.map((a: { subscription_id: string }) => a.subscription_id)).toEqual([okSub.subscription_id]);
      const page = await call('get', `/webhooks/deliveries?subscription_id=${failSub.subscription_id}&limit=1&offset=1`);
      expect(page.body.map((a: { status: string }) => a.status)).toEqual(['failed']);
    });

    it.each<[string, string]>([
      ['status=exploded', 'status'],
      ['limit=0', 'limit'],
      ['limit=100000', 'limit'],
      ['offset=-5', 'offset'],
      ['subscription_id=a&subscription_id=b', 'subscription_id'],
      ['tenant_id=acme', 'tenant_id'],
    ])('GET /deliveries?%s is a 400 naming the field', async (query, field) => {
      const res = await call('get', `/webhooks/deliveries?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.fields).toContain(field);
      expect(messages(res.body)).toContain(field);
    });

    it('GET /deliveries/:attempt_id returns one attempt; an unknown id is a 404', async () => {
      const res = await call('get', `/webhooks/deliveries/${deadAttemptId}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ attempt_id: deadAttemptId, status: 'dead_letter', status_code: 500 });
      const unknown = await call('get', '/webhooks/deliveries/00000000-0000-0000-0000-000000000000');
      expect(unknown.status).toBe(404);
      expect(unknown.body).toMatchObject({ statusCode: 404, code: 'DELIVERY_ATTEMPT_NOT_FOUND' });
    });

    it('GET /dead-letters lists the last attempt of each dead letter; filters and validates', async () => {
      const res = await call('get', '/webhooks/dead-letters');
      expect(res.status).toBe(200);
      expect(res.body.map((a: { attempt_id: string }) => a.attempt_id)).toEqual([deadAttemptId]);
      const other = await call('get', `/webhooks/dead-letters?subscription_id=${okSub.subscription_id}`);
      expect(other.body).toEqual([]);
      const paged = await call('get', '/webhooks/dead-letters?limit=1&offset=1');
      expect(paged.body).toEqual([]);
      for (const [query, field] of [['limit=-1', 'limit'], ['offset=abc', 'offset'], ['status=failed', 'status']]) {
        const bad = await call('get', `/webhooks/dead-letters?${query}`);
        expect(bad.status).toBe(400);
        expect(bad.body.fields).toContain(field);
      }
    });

    it('GET /health counts subscriptions and dead letters', async () => {
      const res = await call('get', '/webhooks/health');
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ total_subscriptions: 3, active_subscriptions: 3, dead_letter_count: 1 });
    });

    it('POST /deliveries/:attempt_id/redeliver: 404 unknown attempt, 409 inactive subscription', async () => {
      const unknown = await call('post', '/webhooks/deliveries/nope/redeliver');
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('DELIVERY_ATTEMPT_NOT_FOUND');
      await call('post', `/webhooks/subscriptions/${failSub.subscription_id}/deactivate`);
      const inactive = await call('post', `/webhooks/deliveries/${deadAttemptId}/redeliver`);
      expect(inactive.status).toBe(409);
      expect(inactive.body).toMatchObject({ statusCode: 409, error: 'Conflict', code: 'SUBSCRIPTION_INACTIVE' });
      await call('post', `/webhooks/subscriptions/${failSub.subscription_id}/activate`);
    });

    it('POST /deliveries/:attempt_id/redeliver re-sends the original payload (202) and revives the dead letter', async () => {
      receiver.on('/fail', ok(200));
      const before = receiver.received('/fail').length;
      const res = await call('post', `/webhooks/deliveries/${deadAttemptId}/redeliver`);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ status: 'queued' });
      await waitForAttempt(store, (a) => a.subscription_id === failSub.subscription_id && a.status === 'delivered', 'the redelivered attempt');
      const sent = receiver.received('/fail').slice(before);
      expect(sent).toHaveLength(1);
      expect(JSON.parse(sent[0].body)).toMatchObject({ event_type: 'order.created', payload: { order: 1 } });
      expect((await call('get', '/webhooks/dead-letters')).body).toEqual([]);
      const latest = await call('get', `/webhooks/deliveries?subscription_id=${failSub.subscription_id}&limit=1`);
      expect(latest.body[0]).toMatchObject({ status: 'delivered', status_code: 200, event_id: eventId });
    });

    it('POST /dead-letters/redrive re-queues by subscription and time range and returns the count', async () => {
      receiver.on('/fail', ok(500));
      await delivery.dispatch({ event_type: 'order.created', payload: { order: 2 } });
      await delivery.dispatch({ event_type: 'order.created', payload: { order: 3 } });
      await waitFor(async () => (await store.countDeadLetters()) === 2, 'two dead letters', 10_000, 20);

      const otherSub = await call('post', '/webhooks/dead-letters/redrive', { subscription_id: okSub.subscription_id });
      expect(otherSub.status).toBe(200);
      expect(otherSub.body).toEqual({ requeued: 0 });
      const future = await call('post', '/webhooks/dead-letters/redrive', { since: new Date(Date.now() + 3_600_000).toISOString() });
      expect(future.body).toEqual({ requeued: 0 });
      const past = await call('post', '/webhooks/dead-letters/redrive', { until: '2000-01-01T00:00:00Z' });
      expect(past.body).toEqual({ requeued: 0 });

      receiver.on('/fail', ok(200));
      const res = await call('post', '/webhooks/dead-letters/redrive', {
        subscription_id: failSub.subscription_id,
        since: new Date(Date.now() - 3_600_000).toISOString(),
        until: new Date(Date.now() + 3_600_000).toISOString(),
      });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ requeued: 2 });
      await waitFor(async () => (await store.getAttempts({ subscription_id: failSub.subscription_id, status: 'delivered' })).length === 3, 'the redriven deliveries', 10_000, 20);
      expect((await call('get', '/webhooks/health')).body.dead_letter_count).toBe(0);

      const empty = await call('post', '/webhooks/dead-letters/redrive');
      expect(empty.status).toBe(200);
      expect(empty.body).toEqual({ requeued: 0 });
    });

    it.each<[string, unknown, string]>([
      ['since not a date', { since: 'yesterday' }, 'since'],
      ['since a number', { since: 1700000000 }, 'since'],
      ['until not ISO', { until: '31/01/2024' }, 'until'],
      ['since after until', { since: '2024-02-01T00:00:00Z', until: '2024-01-01T00:00:00Z' }, 'until'],
      ['subscription_id a number', { subscription_id: 7 }, 'subscription_id'],
      ['an unknown field', { status: 'dead_letter' }, 'status'],
    ])('POST /dead-letters/redrive with %s is a 400 naming the field', async (_name, body, field) => {
      const res = await call('post', '/webhooks/dead-letters/redrive', body);
      expect(res.status).toBe(400);
      expect(res.body.fields).toContain(field);
      expect(messages(res.body)).toContain(field);
    });

    it('POST /dead-letters/redrive with malformed JSON is a 400', async () => {
      const res = await call('post', '/webhooks/dead-letters/redrive', undefined, { raw: '{"since":' });
      expect(res.status).toBe(400);
    });
  });

  describe('dashboard page', () => {
    it('GET /ui serves the page with a strict CSP that allows exactly its inline script and style', async () => {
      const res = await call('get', '/webhooks/ui');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      const csp = res.headers['content-security-policy'] as string;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("connect-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      const script = /<script>([\s\S]*?)<\/script>/.exec(res.text)![1];
      const style = /<style>([\s\S]*?)<\/style>/.exec(res.text)![1];
      const hash = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
      expect(csp).toContain(`script-src ${hash(script)}`);
      expect(csp).toContain(`style-src ${hash(style)}`);
      // Nothing loaded from elsewhere. The SVG namespace the charts are created in is a name, not a resource.
      expect(res.text.split("'http://www.w3.org/2000/svg'").join('')).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\//);
      expect(script).not.toContain('innerHTML');
      expect(res.text).toContain('id="dead-letters"');
    });
  });

  describe('across every response', () => {
    it('no response other than create and rotate-secret shows a full secret or previous_secret', () => {
      expect(secrets.size).toBeGreaterThan(3);
      const checked = log.filter((l) => !l.reveal);
      expect(checked.length).toBeGreaterThan(50);
      for (const l of checked) {
        for (const s of secrets) expect(l.text).not.toContain(s);
        expect(l.text).not.toContain('previous_secret"');
      }
    });

    it('no request answered 500', () => {
      const errors = log.filter((l) => l.status >= 500);
      expect(errors).toEqual([]);
    });
  });
});

describe('admin API registration', () => {
  const apps: INestApplication[] = [];
  afterEach(async () => {
    while (apps.length) await apps.pop()!.close();
  });

  async function start(module: ReturnType<typeof WebhookModule.forRoot>, extra = {}) {
    const t = await startApp(module, extra);
    apps.push(t.app);
    return t.app.getHttpServer() as App;
  }

  it('registers no admin routes by default or with enable_admin: false', async () => {
    for (const module of [WebhookModule.forRoot(), WebhookModule.forRoot({ enable_admin: false, admin_guards: [TestAdminGuard] })]) {
      const server = await start(module);
      for (const path of ['/webhooks/health', '/webhooks/subscriptions', '/webhooks/ui', '/webhooks/dead-letters']) {
        const res = await request(server).get(path).set('x-admin-token', ADMIN_TOKEN);
        expect(res.status).toBe(404);
      }
      expect((await request(server).post('/webhooks/subscriptions').send({ url: 'https://example.com' })).status).toBe(404);
    }
  });

  it('routes under a custom admin_prefix, side by side with another app on the default prefix', async () => {
    const custom = await start(WebhookModule.forRoot({ enable_admin: true, admin_prefix: '/ops/hooks/', admin_guards: [TestAdminGuard] }));
    const standard = await start(WebhookModule.forRoot({ enable_admin: true, admin_guards: [TestAdminGuard] }));
    const get = (server: App, path: string) => request(server).get(path).set('x-admin-token', ADMIN_TOKEN);

    expect((await get(custom, '/ops/hooks/health')).status).toBe(200);
    expect((await get(custom, '/ops/hooks/ui')).status).toBe(200);
    expect((await get(custom, '/ops/hooks/subscriptions')).body).toEqual([]);
    expect((await request(custom).get('/ops/hooks/health')).status).toBe(401);
    expect((await get(custom, '/webhooks/health')).status).toBe(404);

    expect((await get(standard, '/webhooks/health')).status).toBe(200);
    expect((await get(standard, '/ops/hooks/health')).status).toBe(404);

    const created = await request(custom).post('/ops/hooks/subscriptions').set('x-admin-token', ADMIN_TOKEN).send({ url: 'https://example.com/hook' });
    expect(created.status).toBe(201);
    expect((await get(standard, '/webhooks/subscriptions')).body).toEqual([]);
    const bad = await request(custom).get('/ops/hooks/subscriptions?limit=0').set('x-admin-token', ADMIN_TOKEN);
    expect(bad.status).toBe(400);
    expect(bad.body.fields).toEqual(['limit']);
  });

  it('forRootAsync takes admin_guards from the factory', async () => {
    const server = await start(
      WebhookModule.forRootAsync({ enable_admin: true, useFactory: async () => ({ admin_guards: [TestAdminGuard] }) }) as ReturnType<typeof WebhookModule.forRoot>,
    );
    expect((await request(server).get('/webhooks/health')).status).toBe(401);
    expect((await request(server).get('/webhooks/health').set('x-admin-token', ADMIN_TOKEN)).status).toBe(200);
  });

  describe('without admin_guards', () => {
    it('stops at start-up, naming admin_guards and how to add a guard or open the routes', async () => {
      for (const module of [
        WebhookModule.forRoot({ enable_admin: true }),
        WebhookModule.forRoot({ enable_admin: true, admin_guards: [] }),
        WebhookModule.forRootAsync({ enable_admin: true, useFactory: async () => ({ allow_private_urls: true }) }) as ReturnType<typeof WebhookModule.forRoot>,
      ]) {
        const started = start(module);
        await expect(started).rejects.toThrow(/invalid webhook config "admin_guards": enable_admin is true but admin_guards is empty/);
        await expect(started).rejects.toThrow(/pass admin_guards: \[YourAuthGuard\] \(a CanActivate class or instance\)/);
        await expect(started).rejects.toThrow(/set admin_allow_unguarded: true if the routes are protected in front of Nest/);
      }
    });

    it('starts with admin_allow_unguarded: true, with the warning (forRoot and forRootAsync)', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');
      try {
        const server = await start(WebhookModule.forRoot({ enable_admin: true, admin_allow_unguarded: true }));
        expect(warn).toHaveBeenCalledWith(WARNING);
        expect((await request(server).get('/webhooks/health')).status).toBe(200);
        warn.mockClear();
        const fromFactory = await start(
          WebhookModule.forRootAsync({ enable_admin: true, useFactory: async () => ({ admin_allow_unguarded: true }) }) as ReturnType<typeof WebhookModule.forRoot>,
        );
        expect(warn).toHaveBeenCalledWith(WARNING);
        expect((await request(fromFactory).get('/webhooks/health')).status).toBe(200);
      } finally {
        warn.mockRestore();
      }
    });

    it('names a custom prefix in the warning', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');
      try {
        await start(WebhookModule.forRoot({ enable_admin: true, admin_allow_unguarded: true, admin_prefix: 'internal/webhooks' }));
        expect(warn).toHaveBeenCalledWith(expect.stringContaining('Admin routes under /internal/webhooks are enabled with no admin_guards'));
      } finally {
        warn.mockRestore();
      }
    });

    it('does not warn when guards are configured or admin is disabled', async () => {
      const warn = jest.spyOn(Logger.prototype, 'warn');
      try {
        await start(WebhookModule.forRoot({ enable_admin: true, admin_guards: [TestAdminGuard] }));
        await start(WebhookModule.forRoot({ enable_admin: true, admin_guards: [TestAdminGuard], admin_allow_unguarded: true }));
        await start(WebhookModule.forRoot({}));
        expect(warn).not.toHaveBeenCalledWith(expect.stringContaining('no admin_guards'));
      } finally {
        warn.mockRestore();
      }
    });
  });

  describe('admin_guards resolution', () => {
    it('runs guard instances in order and stops at the first denial (403)', async () => {
      const order: string[] = [];
      const guards: CanActivate[] = [
        { canActivate: () => (order.push('a'), true) },
        { canActivate: async () => (order.push('b'), false) },
        { canActivate: () => (order.push('c'), true) },
      ];
      const server = await start(WebhookModule.forRoot({ enable_admin: true, admin_guards: guards }));
      const res = await request(server).get('/webhooks/health');
      expect(res.status).toBe(403);
      expect(order).toEqual(['a', 'b']);
    });

    it('accepts guards returning an Observable', async () => {
      const server = await start(WebhookModule.forRoot({ enable_admin: true, admin_guards: [{ canActivate: () => of(true) }] }));
      expect((await request(server).get('/webhooks/health')).status).toBe(200);
      const denied = await start(WebhookModule.forRoot({ enable_admin: true, admin_guards: [{ canActivate: () => of(false) }] }));
      expect((await request(denied).get('/webhooks/health')).status).toBe(403);
    });

    it('uses the app’s own provider of a guard class, with its dependencies', async () => {
      @Injectable()
      class TokenService {
        readonly token = 'from-di';
      }
      @Injectable()
      class DiGuard implements CanActivate {
        constructor(@Inject(TokenService) private readonly tokens: TokenService) {}
        canActivate(context: ExecutionContext): boolean {
          return context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-admin-token'] === this.tokens.token;
        }
      }
      const server = await start(WebhookModule.forRoot({ enable_admin: true, admin_guards: [DiGuard] }), { providers: [TokenService, DiGuard] });
      expect((await request(server).get('/webhooks/health').set('x-admin-token', 'from-di')).status).toBe(200);
      expect((await request(server).get('/webhooks/health').set('x-admin-token', ADMIN_TOKEN)).status).toBe(403);
    });

    it('creates a guard class the app does not provide once, injecting what the module can see', async () => {
      let created = 0;
      @Injectable()
      class ReflectorGuard implements CanActivate {
        constructor(@Inject(Reflector) private readonly reflector: Reflector) {
          created++;
        }
        canActivate(context: ExecutionContext): boolean {
          return this.reflector instanceof Reflector && context.switchToHttp().getRequest<{ headers: Record<string, string> }>().headers['x-admin-token'] === ADMIN_TOKEN;
        }
      }
      const server = await start(WebhookModule.forRoot({ enable_admin: true, admin_guards: [ReflectorGuard] }));
      await Promise.all([1, 2, 3].map(() => request(server).get('/webhooks/health').set('x-admin-token', ADMIN_TOKEN).expect(200)));
      expect((await request(server).get('/webhooks/subscriptions').set('x-admin-token', 'x')).status).toBe(403);
      expect(created).toBe(1);
    });

    it('refuses an admin_guards entry that is not a guard at start-up', async () => {
      await expect(start(WebhookModule.forRoot({ enable_admin: true, admin_guards: [42 as unknown as CanActivate] }))).rejects.toThrow(/admin_guards/);
    });
  });
});

describe('admin API over the TypeORM store (SQLite)', () => {
  let receiver: TestReceiver;
  let t: AdminTestApp;
  let ds: DataSource;
  let server: App;
  const auth = (r: request.Test) => r.set('x-admin-token', ADMIN_TOKEN);

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/fail', ok(500));
    ds = await createTestDataSource('sqlite', { namespace: 'webhook_admin_api' });
    t = await startApp(WebhookModule.forRoot({ enable_admin: true, store_backend: 'typeorm', ...FAST_RETRY_OPTIONS, admin_guards: [TestAdminGuard] }), {
      providers: [{ provide: getDataSourceToken(), useValue: ds }],
    });
    server = t.app.getHttpServer();
  });

  afterAll(async () => {
    await t?.app.close();
    await ds?.destroy();
    removeSqliteFiles();
    await receiver?.close();
  });

  it('serves every route with the same shapes, 404s and 400s, and no 500', async () => {
    const created = await auth(request(server).post('/webhooks/subscriptions')).send({ url: receiver.url('/fail'), event_types: ['a.*'], tenant_id: 't1' });
    expect(created.status).toBe(201);
    const id = created.body.subscription_id as string;
    const listed = await auth(request(server).get('/webhooks/subscriptions?active=true&event_type=a.b&tenant_id=t1&limit=10&offset=0'));
    expect(listed.body.map((s: { subscription_id: string }) => s.subscription_id)).toEqual([id]);
    expect(listed.body[0].secret).toBe(`whsec_****${(created.body.secret as string).slice(-4)}`);
    expect((await auth(request(server).patch(`/webhooks/subscriptions/${id}`)).send({ description: 'sql' })).body.description).toBe('sql');

    await t.delivery.dispatch({ event_type: 'a.b', payload: { n: 1 } });
    const dead = await waitForAttempt(t.store, (a) => a.status === 'dead_letter', 'the dead letter');
    const letters = await auth(request(server).get(`/webhooks/dead-letters?subscription_id=${id}`));
    expect(letters.body.map((a: { attempt_id: string }) => a.attempt_id)).toEqual([dead.attempt_id]);
    expect((await auth(request(server).get(`/webhooks/deliveries?status=dead_letter&event_id=${dead.event_id}`))).body).toHaveLength(1);
    expect((await auth(request(server).get(`/webhooks/deliveries/${dead.attempt_id}`))).body.status_code).toBe(500);
    expect((await auth(request(server).get('/webhooks/health'))).body).toEqual({ total_subscriptions: 1, active_subscriptions: 1, dead_letter_count: 1 });

    receiver.on('/fail', ok(200));
    const redrive = await auth(request(server).post('/webhooks/dead-letters/redrive')).send({ subscription_id: id, since: '2000-01-01T00:00:00Z', until: new Date(Date.now() + 60_000).toISOString() });
    expect(redrive.body).toEqual({ requeued: 1 });
    await waitForAttempt(t.store, (a) => a.status === 'delivered', 'the redriven delivery');
    expect((await auth(request(server).post(`/webhooks/deliveries/${dead.attempt_id}/redeliver`))).status).toBe(202);

    const weird = ['nope', 'x'.repeat(600), "1' OR '1'='1", '%F0%9F%92%A5'];
    for (const bad of weird) {
      expect((await auth(request(server).get(`/webhooks/subscriptions/${bad}`))).status).toBe(404);
      expect((await auth(request(server).get(`/webhooks/deliveries/${bad}`))).status).toBe(404);
      expect((await auth(request(server).post(`/webhooks/deliveries/${bad}/redeliver`))).status).toBe(404);
      const filtered = await auth(request(server).get(`/webhooks/deliveries?subscription_id=${encodeURIComponent(decodeURIComponent(bad))}`));
      expect(filtered.status).toBe(bad.length > 255 ? 400 : 200);
    }
    expect((await auth(request(server).get('/webhooks/deliveries?limit=1001'))).status).toBe(400);
    expect((await auth(request(server).post('/webhooks/dead-letters/redrive')).send({ since: 'soon' })).status).toBe(400);
    expect((await auth(request(server).delete(`/webhooks/subscriptions/${id}`))).status).toBe(204);
  });

  it('pages subscriptions and attempts by cursor: X-Next-Cursor gives the next page until the last', async () => {
    const created = await t.subscriptions.createMany(Array.from({ length: 25 }, () => ({ url: receiver.url('/fail'), tenant_id: 'paged' })));
    const follow = async (path: string, limit: number) => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const res = await auth(request(server).get(`${path}${path.includes('?') ? '&' : '?'}limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`));
        expect(res.status).toBe(200);
        seen.push(...res.body.map((x: { subscription_id?: string; attempt_id?: string }) => x.attempt_id ?? x.subscription_id));
        cursor = res.headers['x-next-cursor'];
        if (!cursor) return seen;
      }
      throw new Error('no last page');
    };
    const listOrder = [...created].sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || (a.subscription_id < b.subscription_id ? -1 : 1));
    expect(await follow('/webhooks/subscriptions?tenant_id=paged', 10)).toEqual(listOrder.map((s) => s.subscription_id));
    const all = (await t.store.getAttempts({ limit: 1000 })).map((a) => a.attempt_id);
    expect(await follow('/webhooks/deliveries', 1)).toEqual(all);
    for (const bad of ['nope', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["not a date","x"]').toString('base64url')]) {
      const res = await auth(request(server).get(`/webhooks/subscriptions?cursor=${bad}`));
      expect(res.status).toBe(400);
      expect(res.body.fields).toEqual(['cursor']);
      expect((await auth(request(server).get(`/webhooks/deliveries?cursor=${bad}`))).status).toBe(400);
    }
  });
});
