import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { InvalidPortalSessionError } from '../../lib/portal';
import { portalSigningKey, signPortalToken } from '../../lib/portal/portal-token';
import { describeIfDatabase } from '../support/databases';
import { waitFor } from '../support/receiver';
import { api, call, PORTAL_FAST, startPortalApp, type PortalApp } from './portal-test-app';

const NEW_SUB = { url: 'https://hooks.example.com/in' };

/** What a refused write must leave behind: the same subscriptions. */
async function subscriptionIds(p: PortalApp): Promise<string[]> {
  return (await p.subscriptionStore.list({ active_only: false, limit: 1000 })).map((s) => s.subscription_id).sort();
}

describe('portal sessions (memory store)', () => {
  let p: PortalApp;

  beforeAll(async () => {
    p = await startPortalApp({ ...PORTAL_FAST, allow_private_urls: false, portal_base_url: 'https://app.example.com' });
    await p.subscriptions.create({ url: 'https://hooks.example.com/a', tenant_id: 'tenant-a' });
  });
  afterAll(async () => p?.close());

  it('createSession returns the link with the token in the fragment, its expiry 1 h ahead by default', async () => {
    const before = Date.now();
    const s = await p.portal.createSession({ tenant_id: 'tenant-a' });
    expect(s.url).toBe(`https://app.example.com/webhooks/portal/ui#token=${s.token}`);
    expect(s.expires_at.getTime()).toBeGreaterThanOrEqual(before + 3600_000);
    expect(s.expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 3600_000);
    const session = await call(p.port, 'GET', api('/session'), { token: s.token });
    expect(session.body).toEqual({ tenant_id: 'tenant-a', read_only: false, expires_at: s.expires_at.toISOString() });
  });

  it.each([
    [{}, 'tenant_id'],
    [{ tenant_id: '' }, 'tenant_id'],
    [{ tenant_id: '   ' }, 'tenant_id'],
    [{ tenant_id: 'x'.repeat(256) }, 'tenant_id'],
    [{ tenant_id: 't', expires_in_seconds: 7 * 24 * 3600 + 1 }, 'expires_in_seconds'],
    [{ tenant_id: 't', expires_in_seconds: 0 }, 'expires_in_seconds'],
    [{ tenant_id: 't', expires_in_seconds: 1.5 }, 'expires_in_seconds'],
    [{ tenant_id: 't', read_only: 'yes' }, 'read_only'],
  ])('createSession(%j) is refused naming %s', async (input, field) => {
    const err = await p.portal.createSession(input as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidPortalSessionError);
    expect((err as InvalidPortalSessionError).field).toBe(field);
    expect((err as Error).message).toContain(field);
  });

  it('accepts an expiry of exactly 7 days', async () => {
    const s = await p.portal.createSession({ tenant_id: 't', expires_in_seconds: 7 * 24 * 3600 });
    expect(s.expires_at.getTime() - Date.now()).toBeGreaterThan(7 * 24 * 3600_000 - 60_000);
  });

  it('no token, garbage, a one-character change, a foreign signature: 401 and nothing written', async () => {
    const good = (await p.portal.createSession({ tenant_id: 'tenant-a' })).token;
    const i = good.indexOf('.') - 3;
    const tampered = good.slice(0, i) + (good[i] === 'A' ? 'B' : 'A') + good.slice(i + 1);
    const before = await subscriptionIds(p);
    const cases: Array<[string | undefined, string]> = [
      [undefined, 'UNAUTHENTICATED'],
      ['garbage', 'INVALID_TOKEN'],
      [tampered, 'INVALID_TOKEN'],
      ['x'.repeat(5000), 'INVALID_TOKEN'],
      [signPortalToken({ tenant_id: 'tenant-a', issued_at: Date.now(), expires_at: Date.now() + 60_000, read_only: false }, portalSigningKey('another-secret-of-at-least-32-characters')), 'INVALID_TOKEN'],
    ];
    for (const [token, code] of cases) {
      for (const [method, path] of [['GET', '/subscriptions'], ['POST', '/subscriptions']] as const) {
        const r = await call(p.port, method, api(path), { token, json: method === 'POST' ? NEW_SUB : undefined });
        expect([token?.slice(0, 12), method, r.status, r.body.code]).toEqual([token?.slice(0, 12), method, 401, code]);
        expect(r.body.message).not.toMatch(/signature|hmac|tenant/i);
      }
    }
    const basic = await call(p.port, 'GET', api('/subscriptions'), { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect([basic.status, basic.body.code]).toEqual([401, 'INVALID_TOKEN']);
    expect(await subscriptionIds(p)).toEqual(before);
  });

  it('an expired session is a 401 saying so', async () => {
    const s = await p.portal.createSession({ tenant_id: 'tenant-a', expires_in_seconds: 1 });
    expect((await call(p.port, 'GET', api('/session'), { token: s.token })).status).toBe(200);
    await waitFor(() => Date.now() > s.expires_at.getTime(), 'the expiry', 5_000, 50);
    const r = await call(p.port, 'GET', api('/subscriptions'), { token: s.token });
    expect([r.status, r.body.code, r.body.message]).toEqual([401, 'SESSION_EXPIRED', expect.stringMatching(/session expired or revoked/)]);
  });

  it('revokeSessions ends every session of the tenant issued before it, not later ones nor other tenants', async () => {
    const a1 = (await p.portal.createSession({ tenant_id: 'tenant-a' })).token;
    const b1 = (await p.portal.createSession({ tenant_id: 'tenant-b' })).token;
    await p.portal.revokeSessions('tenant-a');
    // Issued in the same millisecond as the revocation or after it: still good.
    const a2 = (await p.portal.createSession({ tenant_id: 'tenant-a' })).token;
    expect((await call(p.port, 'GET', api('/subscriptions'), { token: a1 })).body.code).toBe('SESSION_EXPIRED');
    expect((await call(p.port, 'GET', api('/subscriptions'), { token: a2 })).status).toBe(200);
    expect((await call(p.port, 'GET', api('/subscriptions'), { token: b1 })).status).toBe(200);
    // Revoked again at once (maybe within the same millisecond): a2 ends too.
    await p.portal.revokeSessions('tenant-a');
    expect((await call(p.port, 'GET', api('/subscriptions'), { token: a2 })).body.code).toBe('SESSION_EXPIRED');
    await expect(p.portal.revokeSessions('')).rejects.toBeInstanceOf(InvalidPortalSessionError);
  });

  it('a read-only session reads, and every write is a 403 that writes nothing', async () => {
    const token = (await p.portal.createSession({ tenant_id: 'tenant-a', read_only: true })).token;
    const list = await call(p.port, 'GET', api('/subscriptions'), { token });
    expect(list.status).toBe(200);
    const id = list.body[0].subscription_id as string;
    const stored = await p.subscriptionStore.get(id);
    const before = await subscriptionIds(p);
    const writes: Array<[string, string, unknown?]> = [
      ['POST', '/subscriptions', NEW_SUB],
      ['PATCH', `/subscriptions/${id}`, { description: 'x' }],
      ['DELETE', `/subscriptions/${id}`],
      ['POST', `/subscriptions/${id}/deactivate`],
      ['POST', `/subscriptions/${id}/rotate-secret`],
      ['POST', `/subscriptions/${id}/test`],
      ['POST', '/dead-letters/redrive', { subscription_id: id }],
    ];
    for (const [method, path, json] of writes) {
      const r = await call(p.port, method, api(path), { token, json });
      expect([method, path, r.status, r.body.code]).toEqual([method, path, 403, 'READ_ONLY_SESSION']);
    }
    expect(await subscriptionIds(p)).toEqual(before);
    expect(await p.subscriptionStore.get(id)).toEqual(stored);
    expect(await p.deliveries.getAttempts({ subscription_id: id, limit: 10 })).toEqual([]);
  });

  it('operator fields and a foreign tenant_id in a body are 400s naming the field, and nothing is written', async () => {
    const token = (await p.portal.createSession({ tenant_id: 'tenant-a' })).token;
    const id = (await p.subscriptionStore.list({ tenant_id: 'tenant-a', active_only: false }))[0].subscription_id;
    const stored = await p.subscriptionStore.get(id);
    const before = await subscriptionIds(p);
    const fields: Array<[string, unknown]> = [
      ['metadata', { plan: 'free' }],
      ['retry_max_attempts', 3],
      ['delivery_timeout_seconds', 5],
      ['max_concurrent_per_endpoint', 2],
      ['rate_limit_per_second', 10],
    ];
    for (const [field, value] of [...fields, ['tenant_id', 'tenant-b'] as [string, unknown], ['tenant_id', null] as [string, unknown]]) {
      const r = await call(p.port, 'POST', api('/subscriptions'), { token, json: { ...NEW_SUB, [field]: value } });
      expect([field, r.status, r.body.fields]).toEqual([field, 400, [field]]);
    }
    for (const [field, value] of [...fields, ['tenant_id', 'tenant-b'] as [string, unknown]]) {
      const r = await call(p.port, 'PATCH', api(`/subscriptions/${id}`), { token, json: { description: 'changed', [field]: value } });
      expect([field, r.status, r.body.fields]).toEqual([field, 400, [field]]);
    }
    expect(await subscriptionIds(p)).toEqual(before);
    expect(await p.subscriptionStore.get(id)).toEqual(stored);
  });

  it('a URL to an internal address is refused without printing the address', async () => {
    const token = (await p.portal.createSession({ tenant_id: 'tenant-a' })).token;
    const r = await call(p.port, 'POST', api('/subscriptions'), { token, json: { url: 'http://localhost:9/hook' } });
    expect([r.status, r.body.code]).toEqual([400, 'INVALID_WEBHOOK_URL']);
    expect(JSON.stringify(r.body)).not.toMatch(/127\.0\.0\.1|::1/);
  });
});

describeIfDatabase('postgres', 'portal sessions (PostgreSQL, two replicas)', () => {
  let one: PortalApp;
  let two: PortalApp;

  beforeAll(async () => {
    one = await startPortalApp(PORTAL_FAST, { postgres: { namespace: 'portal_sessions' } });
    two = await startPortalApp(PORTAL_FAST, { postgres: { namespace: 'portal_sessions', dropSchema: false } });
  });
  afterAll(async () => {
    await one?.close();
    await two?.close();
  });

  it('a revocation on one replica ends the session on the other, and later sessions work on both', async () => {
    const s = await one.portal.createSession({ tenant_id: 'tenant-a' });
    expect((await call(two.port, 'GET', api('/session'), { token: s.token })).status).toBe(200);
    await two.portal.revokeSessions('tenant-a');
    for (const p of [one, two]) {
      const r = await call(p.port, 'GET', api('/session'), { token: s.token });
      expect([r.status, r.body.code]).toEqual([401, 'SESSION_EXPIRED']);
    }
    const later = await one.portal.createSession({ tenant_id: 'tenant-a' });
    for (const p of [one, two]) expect((await call(p.port, 'GET', api('/session'), { token: later.token })).status).toBe(200);
    // A second revocation moves the cut-off forward; an earlier one never moves it back.
    await one.portal.revokeSessions('tenant-a');
    expect((await call(two.port, 'GET', api('/session'), { token: later.token })).status).toBe(401);
  });
});
