import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DeliveryAttempt, WebhookSubscription } from '../../lib/domain/types';
import { describeIfDatabase } from '../support/databases';
import { failTimes, ok, TestReceiver, waitFor } from '../support/receiver';
import { api, call, PORTAL_FAST, startPortalApp, type PortalApp } from './portal-test-app';

/**
 * Two tenants, each with an endpoint that answers 200 and one that always fails (its deliveries end as dead
 * letters): tenant A's session sees, changes, tests and redelivers only A's things, and B's ids are 404s exactly
 * like unknown ids. Run on the memory store and on PostgreSQL.
 */
function isolationSuite(label: string, postgres: boolean): void {
  let receiver: TestReceiver;
  let p: PortalApp;
  let tokenA: string;
  const a: Record<'ok' | 'bad', WebhookSubscription> = {} as never;
  const b: Record<'ok' | 'bad', WebhookSubscription> = {} as never;
  let attemptA: DeliveryAttempt;
  let attemptB: DeliveryAttempt;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/a-ok', ok()).on('/b-ok', ok()).on('/a-bad', failTimes(1_000_000)).on('/b-bad', failTimes(1_000_000));
    p = await startPortalApp(PORTAL_FAST, postgres ? { postgres: { namespace: 'portal_isolation' } } : {});
    for (const [tenant, into] of [['tenant-a', a], ['tenant-b', b]] as const) {
      const short = tenant.slice(-1);
      into.ok = await p.subscriptions.create({ url: receiver.url(`/${short}-ok`), tenant_id: tenant, metadata: { plan: 'gold' }, description: `${tenant} ok` });
      into.bad = await p.subscriptions.create({ url: receiver.url(`/${short}-bad`), tenant_id: tenant, description: `${tenant} bad` });
    }
    for (let i = 0; i < 2; i++) await p.delivery.dispatch({ event_type: 'order.created', payload: { n: i }, source: 'test' });
    // Every bad endpoint's two deliveries end as dead letters; every ok endpoint's are delivered.
    await waitFor(async () => (await p.deliveries.getDeadLetters({ limit: 100 })).length === 4, 'four dead letters');
    await waitFor(async () => (await p.deliveries.getAttempts({ status: 'delivered', limit: 100 })).length === 4, 'four deliveries');
    attemptA = (await p.deliveries.getAttempts({ subscription_id: a.ok.subscription_id, limit: 1 }))[0];
    attemptB = (await p.deliveries.getAttempts({ subscription_id: b.ok.subscription_id, limit: 1 }))[0];
    tokenA = (await p.portal.createSession({ tenant_id: 'tenant-a' })).token;
  });

  afterAll(async () => {
    await p?.close();
    await receiver?.close();
  });

  const aIds = () => new Set([a.ok.subscription_id, a.bad.subscription_id]);

  it(`${label}: lists only the tenant's subscriptions, without metadata and with secrets masked`, async () => {
    const r = await call(p.port, 'GET', api('/subscriptions'), { token: tokenA });
    expect(r.status).toBe(200);
    expect(new Set(r.body.map((s: WebhookSubscription) => s.subscription_id))).toEqual(aIds());
    for (const s of r.body) {
      expect(s).not.toHaveProperty('metadata');
      expect(s.tenant_id).toBe('tenant-a');
      expect(s.secret).toMatch(/^whsec_\*\*\*\*/);
    }
  });

  it(`${label}: a tenant_id query naming another tenant is refused; its own is allowed`, async () => {
    const foreign = await call(p.port, 'GET', api('/subscriptions?tenant_id=tenant-b'), { token: tokenA });
    expect(foreign.status).toBe(400);
    expect(foreign.body.fields).toEqual(['tenant_id']);
    const own = await call(p.port, 'GET', api('/subscriptions?tenant_id=tenant-a'), { token: tokenA });
    expect(new Set(own.body.map((s: WebhookSubscription) => s.subscription_id))).toEqual(aIds());
  });

  it(`${label}: the attempt log and dead letters hold only the tenant's attempts; a foreign subscription_id filter lists nothing`, async () => {
    const log = await call(p.port, 'GET', api('/deliveries?limit=100'), { token: tokenA });
    expect(log.status).toBe(200);
    expect(log.body.length).toBe(2 + 4); // two delivered, two deliveries x two failed tries
    expect(log.body.every((x: DeliveryAttempt) => aIds().has(x.subscription_id))).toBe(true);
    expect(new Set(log.body.map((x: DeliveryAttempt) => x.status))).toEqual(new Set(['delivered', 'dead_letter', 'failed']));
    const dead = await call(p.port, 'GET', api('/dead-letters'), { token: tokenA });
    expect(dead.body.map((x: DeliveryAttempt) => x.subscription_id)).toEqual([a.bad.subscription_id, a.bad.subscription_id]);
    for (const path of [`/deliveries?subscription_id=${b.ok.subscription_id}`, `/dead-letters?subscription_id=${b.bad.subscription_id}`]) {
      const r = await call(p.port, 'GET', api(path), { token: tokenA });
      expect([r.status, r.body]).toEqual([200, []]);
    }
  });

  it(`${label}: pages the merged log with X-Next-Cursor, newest first, without repeats`, async () => {
    // deep offsets across all endpoints are refused (each endpoint would be read up to offset + limit rows)
    for (const path of ['/deliveries?offset=1001', '/dead-letters?offset=1001']) {
      const deep = await call(p.port, 'GET', api(path), { token: tokenA });
      expect([path, deep.status, deep.body.fields]).toEqual([path, 400, ['offset']]);
    }
    expect((await call(p.port, 'GET', api('/deliveries?offset=1000'), { token: tokenA })).status).toBe(200);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 10; page++) {
      const r = await call(p.port, 'GET', api(`/deliveries?limit=4${cursor ? `&cursor=${cursor}` : ''}`), { token: tokenA });
      seen.push(...r.body.map((x: DeliveryAttempt) => x.attempt_id));
      cursor = r.headers['x-next-cursor'] as string | undefined;
      if (!cursor) break;
    }
    const all = await p.deliveries.getAttempts({ limit: 1000 });
    expect(seen).toEqual(all.filter((x) => aIds().has(x.subscription_id)).map((x) => x.attempt_id));
  });

  it(`${label}: every route with one of B's ids answers 404 exactly like an unknown id, and writes nothing`, async () => {
    const attemptsBefore = (await p.deliveries.getAttempts({ limit: 1000 })).length;
    const subRoutes: Array<[string, string, unknown?]> = [
      ['GET', ''],
      ['PATCH', '', { description: 'taken' }],
      ['DELETE', ''],
      ['POST', '/activate'],
      ['POST', '/deactivate'],
      ['POST', '/rotate-secret'],
      ['POST', '/test'],
      ['GET', '/stats'],
    ];
    for (const [method, tail, json] of subRoutes) {
      const foreign = await call(p.port, method, api(`/subscriptions/${b.ok.subscription_id}${tail}`), { token: tokenA, json });
      const unknown = await call(p.port, method, api(`/subscriptions/sub_unknown${tail}`), { token: tokenA, json });
      expect([method, tail, foreign.status]).toEqual([method, tail, 404]);
      expect(JSON.stringify(foreign.body).replaceAll(b.ok.subscription_id, 'ID')).toBe(JSON.stringify(unknown.body).replaceAll('sub_unknown', 'ID'));
    }
    for (const [method, tail] of [['GET', ''], ['POST', '/redeliver']] as const) {
      const foreign = await call(p.port, method, api(`/deliveries/${attemptB.attempt_id}${tail}`), { token: tokenA });
      const unknown = await call(p.port, method, api(`/deliveries/att_unknown${tail}`), { token: tokenA });
      expect(foreign.status).toBe(404);
      expect(JSON.stringify(foreign.body).replaceAll(attemptB.attempt_id, 'ID')).toBe(JSON.stringify(unknown.body).replaceAll('att_unknown', 'ID'));
    }
    const redrive = await call(p.port, 'POST', api('/dead-letters/redrive'), { token: tokenA, json: { subscription_id: b.bad.subscription_id } });
    expect(redrive.status).toBe(404);
    const stored = await p.subscriptionStore.get(b.ok.subscription_id);
    expect(stored).toMatchObject({ active: true, description: 'tenant-b ok', secret: b.ok.secret });
    expect((await p.deliveries.getAttempts({ limit: 1000 })).length).toBe(attemptsBefore);
    expect(await p.deliveries.getDeadLetters({ subscription_id: b.bad.subscription_id, limit: 10 })).toHaveLength(2);
  });

  it(`${label}: A reads its own attempt and stats, tests and redelivers its own endpoint`, async () => {
    const detail = await call(p.port, 'GET', api(`/deliveries/${attemptA.attempt_id}`), { token: tokenA });
    expect(detail.status).toBe(200);
    expect(detail.body.payload).toEqual(expect.objectContaining({ n: expect.any(Number) }));
    const stats = await call(p.port, 'GET', api(`/subscriptions/${a.ok.subscription_id}/stats`), { token: tokenA });
    expect(stats.status).toBe(200);
    expect(stats.body.delivered).toBeGreaterThanOrEqual(2);
    const before = receiver.received('/a-ok').length;
    const test = await call(p.port, 'POST', api(`/subscriptions/${a.ok.subscription_id}/test`), { token: tokenA });
    expect([test.status, test.body.status, test.body.event_type]).toEqual([200, 'delivered', 'webhook.test']);
    const redeliver = await call(p.port, 'POST', api(`/deliveries/${attemptA.attempt_id}/redeliver`), { token: tokenA });
    expect(redeliver.status).toBe(202);
    await waitFor(() => receiver.received('/a-ok').length >= before + 2, 'the test and the redelivery at A');
    expect(receiver.received('/b-ok').length).toBe(2);
  });

  it(`${label}: bulk redrive of one endpoint requeues only its dead letters; it needs a subscription_id`, async () => {
    const missing = await call(p.port, 'POST', api('/dead-letters/redrive'), { token: tokenA, json: {} });
    expect([missing.status, missing.body.fields]).toEqual([400, ['subscription_id']]);
    const r = await call(p.port, 'POST', api('/dead-letters/redrive'), { token: tokenA, json: { subscription_id: a.bad.subscription_id } });
    expect([r.status, r.body]).toEqual([200, { requeued: 2 }]);
    expect(await p.deliveries.getDeadLetters({ subscription_id: b.bad.subscription_id, limit: 10 })).toHaveLength(2);
    const bDeliveries = await p.deliveries.getDeadLetters({ subscription_id: b.bad.subscription_id, limit: 10 });
    expect(bDeliveries.every((x) => x.status === 'dead_letter')).toBe(true);
  });

  it(`${label}: creates, edits, rotates and deletes its own subscription, for its own tenant`, async () => {
    const created = await call(p.port, 'POST', api('/subscriptions'), { token: tokenA, json: { url: receiver.url('/a-new'), event_types: ['order.created'], headers: { 'x-key': 'abcdefgh' }, filter: { 'payload.n': { $gte: 0 } } } });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{20,}$/);
    expect(created.body.tenant_id).toBe('tenant-a');
    expect(created.body).not.toHaveProperty('metadata');
    const same = await call(p.port, 'POST', api('/subscriptions'), { token: tokenA, json: { url: receiver.url('/a-new2'), tenant_id: 'tenant-a' } });
    expect(same.status).toBe(201);
    const id = created.body.subscription_id as string;
    expect((await p.subscriptionStore.get(id))?.tenant_id).toBe('tenant-a');
    const patched = await call(p.port, 'PATCH', api(`/subscriptions/${id}`), { token: tokenA, json: { description: 'mine' } });
    expect([patched.status, patched.body.description, patched.body.secret]).toEqual([200, 'mine', expect.stringMatching(/^whsec_\*\*\*\*/)]);
    const rotated = await call(p.port, 'POST', api(`/subscriptions/${id}/rotate-secret`), { token: tokenA });
    expect(rotated.body.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{20,}$/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const removed = await call(p.port, 'DELETE', api(`/subscriptions/${id}`), { token: tokenA });
    expect(removed.status).toBe(204);
    expect(await p.subscriptionStore.get(id)).toBeNull();
    await call(p.port, 'DELETE', api(`/subscriptions/${same.body.subscription_id}`), { token: tokenA });
  });
}

describe('portal isolation (memory store)', () => isolationSuite('memory', false));
describeIfDatabase('postgres', 'portal isolation (PostgreSQL)', () => isolationSuite('postgres', true));
