import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InvalidWebhookConfigError } from '../../lib/domain/webhook.error';
import { WebhookModule } from '../../lib/webhook.module';
import { api, call, PORTAL_SECRET, startPortalApp, type PortalApp } from './portal-test-app';

/** The host app's own session check: a signed-in user is one with an `x-user` header of the form `<name>@<tenant>`. */
@Injectable()
class HostSessionGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const user = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined> }>().headers['x-user'];
    return typeof user === 'string' && user.includes('@');
  }
}

/** The user's tenant, or null for the app's staff (`<name>@`), who have none. */
const tenantOf = (req: unknown): string | null => {
  const user = (req as { headers: Record<string, string | undefined> }).headers['x-user'] ?? '';
  return user.split('@')[1] || null;
};

const JSON_BODY = { url: 'https://hooks.example.com/in' };

describe('portal in app-auth mode', () => {
  let p: PortalApp;

  beforeAll(async () => {
    p = await startPortalApp({ portal_guards: [HostSessionGuard], portal_tenant_resolver: async (req) => tenantOf(req) }, { extra: { providers: [HostSessionGuard] } });
    await p.subscriptions.create({ url: 'https://hooks.example.com/a', tenant_id: 'acme' });
    await p.subscriptions.create({ url: 'https://hooks.example.com/b', tenant_id: 'globex' });
  });
  afterAll(async () => p?.close());

  it('lets a signed-in user in for the tenant the resolver names, without a token', async () => {
    const session = await call(p.port, 'GET', api('/session'), { headers: { 'x-user': 'ann@acme' } });
    expect(session.body).toEqual({ tenant_id: 'acme', read_only: false, expires_at: null });
    const list = await call(p.port, 'GET', api('/subscriptions'), { headers: { 'x-user': 'ann@acme' } });
    expect(list.body.map((s: { tenant_id: string }) => s.tenant_id)).toEqual(['acme']);
    const created = await call(p.port, 'POST', api('/subscriptions'), { headers: { 'x-user': 'ann@acme', origin: `http://127.0.0.1:${p.port}`, 'sec-fetch-site': 'same-origin' }, json: JSON_BODY });
    expect([created.status, created.body.tenant_id]).toEqual([201, 'acme']);
  });

  it("leaves the host's own Authorization header (a JWT, Basic) to the host's guards; a portal-shaped token is still checked as one", async () => {
    for (const authorization of ['Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbm4ifQ.c2lnbmF0dXJl', 'Basic YW5uOnNlY3JldA==']) {
      const r = await call(p.port, 'GET', api('/session'), { headers: { 'x-user': 'ann@acme', authorization } });
      expect([authorization, r.status, r.body.tenant_id]).toEqual([authorization, 200, 'acme']);
    }
    const token = (await p.portal.createSession({ tenant_id: 'globex', read_only: true })).token;
    const asToken = await call(p.port, 'GET', api('/session'), { headers: { 'x-user': 'ann@acme', authorization: `Bearer ${token}` } });
    expect([asToken.status, asToken.body.tenant_id, asToken.body.read_only]).toEqual([200, 'globex', true]);
    const forged = `${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`;
    const refused = await call(p.port, 'GET', api('/session'), { headers: { 'x-user': 'ann@acme', authorization: `Bearer ${forged}` } });
    expect([refused.status, refused.body.code]).toEqual([401, 'INVALID_TOKEN']);
  });

  it('a guard saying no, or a resolver returning null, is a 401', async () => {
    for (const headers of [{}, { 'x-user': 'nobody' }, { 'x-user': 'staff@' }] as Array<Record<string, string>>) {
      const r = await call(p.port, 'GET', api('/subscriptions'), { headers });
      expect([headers, r.status, r.body.code]).toEqual([headers, 401, 'UNAUTHENTICATED']);
    }
  });

  it('refuses cross-site and non-JSON writes as the admin routes do, in both modes, writing nothing', async () => {
    const before = (await p.subscriptionStore.list({ active_only: false, limit: 100 })).length;
    const token = (await p.portal.createSession({ tenant_id: 'acme' })).token;
    for (const auth of [{ 'x-user': 'ann@acme' }, { authorization: `Bearer ${token}` }] as Array<Record<string, string>>) {
      const crossSite = await call(p.port, 'POST', api('/subscriptions'), { headers: { ...auth, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }, json: JSON_BODY });
      expect([crossSite.status, crossSite.body.code]).toEqual([403, 'CROSS_SITE_REQUEST']);
      // the customer is told no origin (the server's own can be an internal host behind a proxy) and no operator advice
      expect(crossSite.body.message).toBe('cross-site request refused: the portal API takes state-changing requests from its own page only');
      const foreignOrigin = await call(p.port, 'POST', api('/subscriptions'), { headers: { ...auth, origin: 'https://evil.example' }, json: JSON_BODY });
      expect([foreignOrigin.status, foreignOrigin.body.code]).toEqual([403, 'CROSS_SITE_REQUEST']);
      const form = await call(p.port, 'POST', api('/subscriptions'), { headers: { ...auth, 'content-type': 'application/x-www-form-urlencoded' }, raw: 'url=https%3A%2F%2Fhooks.example.com' });
      expect([form.status, form.body.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
    }
    expect((await p.subscriptionStore.list({ active_only: false, limit: 100 })).length).toBe(before);
  });

  it('the page is public and carries the CSP', async () => {
    const r = await call(p.port, 'GET', '/webhooks/portal/ui');
    expect(r.status).toBe(200);
    expect(String(r.headers['content-security-policy'])).toMatch(/frame-ancestors 'self'/);
  });
});

describe('portal without app-auth', () => {
  it('a request without a token is a 401 when app-auth is not configured', async () => {
    const p = await startPortalApp({});
    try {
      const r = await call(p.port, 'GET', api('/session'));
      expect([r.status, r.body.code]).toEqual([401, 'UNAUTHENTICATED']);
    } finally {
      await p.close();
    }
  });
});

describe('portal start-up', () => {
  async function startError(imports: ReturnType<typeof WebhookModule.forRoot>): Promise<unknown> {
    const ref = await Test.createTestingModule({ imports: [imports] }).compile().catch((e: unknown) => e);
    if (ref instanceof Error) return ref;
    const app = (ref as Awaited<ReturnType<ReturnType<typeof Test.createTestingModule>['compile']>>).createNestApplication({ logger: false });
    const err = await app.init().then(() => null, (e: unknown) => e);
    await app.close().catch(() => undefined);
    return err;
  }

  it.each([
    [{ enable_portal: true }, 'portal_secret', /required with enable_portal/],
    [{ enable_portal: true, portal_secret: 'short' }, 'portal_secret', /at least 32 characters/],
    [{ enable_portal: true, portal_secret: PORTAL_SECRET, portal_theme: { primary_color: 'red' } }, 'portal_theme', /primary_color/],
    [{ enable_portal: true, portal_secret: PORTAL_SECRET, portal_theme: { logo_url: 'http://x.example/l.png' } }, 'portal_theme', /logo_url/],
    [{ enable_portal: true, portal_secret: PORTAL_SECRET, portal_theme: { title: '' } }, 'portal_theme', /title/],
    [{ enable_portal: true, portal_secret: PORTAL_SECRET, portal_frame_ancestors: ['https://app.example.com/path'] }, 'portal_frame_ancestors', /origins/],
    [{ enable_portal: true, portal_secret: PORTAL_SECRET, portal_base_url: 'https://app.example.com/?x=1' }, 'portal_base_url', /without query/],
    [{ enable_portal: true, portal_secret: PORTAL_SECRET, portal_tenant_resolver: 'acme' }, 'portal_tenant_resolver', /function/],
    [{ enable_portal: true, portal_secret: PORTAL_SECRET, portal_tenant_resolver: () => 'acme' }, 'portal_guards', /portal_tenant_resolver is set/],
    [{ enable_portal: true, portal_secret: PORTAL_SECRET, portal_guards: [{ canActivate: () => true }] }, 'portal_tenant_resolver', /required with portal_guards/],
  ])('forRoot(%j) is refused naming %s', async (options, key, message) => {
    const err = await startError(WebhookModule.forRoot(options as never));
    expect(err).toBeInstanceOf(InvalidWebhookConfigError);
    expect((err as InvalidWebhookConfigError).key).toBe(key);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).not.toContain('short"');
  });

  it('forRootAsync checks the same way (enable_portal beside the factory, the secret from it)', async () => {
    const err = await startError(WebhookModule.forRootAsync({ enable_portal: true, useFactory: () => ({ portal_secret: 'too-short' }) }));
    expect((err as InvalidWebhookConfigError).key).toBe('portal_secret');
    const inFactory = await startError(WebhookModule.forRootAsync({ useFactory: () => ({ enable_portal: true }) }));
    expect((inFactory as InvalidWebhookConfigError).key).toBe('enable_portal');
    const p = await startPortalApp();
    await p.close();
  });

  it('without enable_portal no portal route exists', async () => {
    const p = await startPortalApp({ enable_portal: false, enable_admin: true, admin_allow_unguarded: true });
    try {
      for (const path of ['/webhooks/portal/ui', api('/session'), api('/subscriptions')]) {
        expect([path, (await call(p.port, 'GET', path)).status]).toEqual([path, 404]);
      }
    } finally {
      await p.close();
    }
  });
});

describe('portal event types', () => {
  it('lists the catalog as the admin route does, rendered at start-up', async () => {
    const schema = { type: 'object', properties: { order_id: { type: 'string' } }, required: ['order_id'] };
    const p = await startPortalApp({ event_catalog: [{ event_type: 'order.created', description: 'An order was placed', schema, example: { order_id: 'A-1' } }] });
    try {
      const token = (await p.portal.createSession({ tenant_id: 'acme' })).token;
      const r = await call(p.port, 'GET', api('/event-types'), { token });
      expect(r.status).toBe(200);
      expect(r.body).toEqual([expect.objectContaining({ event_type: 'order.created', description: 'An order was placed', example: { order_id: 'A-1' }, schema: expect.objectContaining({ required: ['order_id'] }) })]);
    } finally {
      await p.close();
    }
  });
});
