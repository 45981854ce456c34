import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebhookModule } from '../../lib/webhook.module';
import { ok, TestReceiver, waitFor } from '../support/receiver';
import { ADMIN_TOKEN, FAST_RETRY_OPTIONS, startApp, TestAdminGuard, waitForAttempt, type AdminTestApp } from './admin-test-app';

interface Reply {
  status: number;
  body: { message?: string; code?: string; [key: string]: unknown } | null;
}

/**
 * One real HTTP request to `port` on 127.0.0.1, with exactly the headers given (plus Host, and Content-Length
 * when there is a body): what a browser or a client sends, Origin and Sec-Fetch-Site included.
 */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => {
        let parsed: Reply['body'] = null;
        try {
          parsed = text ? (JSON.parse(text) as Reply['body']) : null;
        } catch {
          parsed = null;
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const AUTH = { 'x-admin-token': ADMIN_TOKEN };
const JSON_TYPE = { 'content-type': 'application/json' };
const EVIL = 'https://evil.example';
const ADMIN_FRONT_END = 'https://admin.example.com';

describe('admin API: cross-site requests and non-JSON bodies are refused on state-changing routes', () => {
  let receiver: TestReceiver;
  let t: AdminTestApp;
  let port: number;
  let own: string;
  const hook = () => JSON.stringify({ url: receiver.url('/ok') });

  const subscriptionCount = async () => (await t.subscriptions.list()).length;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/ok', ok(200)).on('/fail', ok(500));
    t = await startApp(
      WebhookModule.forRoot({ enable_admin: true, ...FAST_RETRY_OPTIONS, retry_max_attempts: 1, admin_guards: [TestAdminGuard], admin_allowed_origins: [ADMIN_FRONT_END] }),
      {},
      true,
    );
    port = (t.app.getHttpServer().address() as AddressInfo).port;
    own = `http://127.0.0.1:${port}`;
  });

  afterAll(async () => {
    await t?.app.close();
    await receiver?.close();
  });

  it('refuses a form-encoded POST /subscriptions from another origin (403), creating nothing', async () => {
    const before = await subscriptionCount();
    const form = `url=${encodeURIComponent(receiver.url('/ok'))}`;
    const res = await send(port, 'POST', '/webhooks/subscriptions', { ...AUTH, origin: EVIL, 'content-type': 'application/x-www-form-urlencoded' }, form);
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ statusCode: 403, code: 'CROSS_SITE_REQUEST' });
    expect(res.body?.message).toContain(`cross-site request refused: Origin ${EVIL} is not this server's origin (${own})`);
    expect(res.body?.message).toContain('admin_allowed_origins');
    expect(await subscriptionCount()).toBe(before);
  });

  it('refuses a form-encoded, multipart or text/plain body without an Origin too (415), creating nothing', async () => {
    const before = await subscriptionCount();
    const url = receiver.url('/ok');
    const bodies: Array<[string, string]> = [
      ['application/x-www-form-urlencoded', `url=${encodeURIComponent(url)}`],
      ['multipart/form-data; boundary=b', `--b\r\nContent-Disposition: form-data; name="url"\r\n\r\n${url}\r\n--b--\r\n`],
      ['text/plain', JSON.stringify({ url })],
    ];
    for (const [type, body] of bodies) {
      const res = await send(port, 'POST', '/webhooks/subscriptions', { ...AUTH, 'content-type': type }, body);
      expect(res.status).toBe(415);
      expect(res.body).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
      expect(res.body?.message).toContain(`unsupported Content-Type ${JSON.stringify(type)}`);
    }
    expect(await subscriptionCount()).toBe(before);
  });

  it('refuses a text/plain POST /dead-letters/redrive (415), re-queueing nothing', async () => {
    const sub = await t.subscriptions.create({ url: receiver.url('/fail'), event_types: ['redrive.check'] });
    await t.delivery.dispatch({ event_type: 'redrive.check', payload: {} });
    await waitForAttempt(t.store, (a) => a.subscription_id === sub.subscription_id && a.status === 'dead_letter', 'the dead letter');
    const deadLetters = async () => (await send(port, 'GET', `/webhooks/dead-letters?subscription_id=${sub.subscription_id}`, AUTH)).body as unknown as unknown[];
    expect(await deadLetters()).toHaveLength(1);

    const res = await send(port, 'POST', '/webhooks/dead-letters/redrive', { ...AUTH, 'content-type': 'text/plain' }, JSON.stringify({ subscription_id: sub.subscription_id }));
    expect(res.status).toBe(415);
    expect(res.body?.message).toContain('Content-Type: application/json');
    expect(await deadLetters()).toHaveLength(1);

    // The same request as JSON goes through.
    const json = await send(port, 'POST', '/webhooks/dead-letters/redrive', { ...AUTH, ...JSON_TYPE }, JSON.stringify({ subscription_id: sub.subscription_id }));
    expect(json.status).toBe(200);
    expect(json.body).toEqual({ requeued: 1 });
    await t.subscriptions.delete(sub.subscription_id);
  });

  it('refuses Sec-Fetch-Site: cross-site and same-site (403), even with a JSON body', async () => {
    const before = await subscriptionCount();
    for (const site of ['cross-site', 'same-site']) {
      const res = await send(port, 'POST', '/webhooks/subscriptions', { ...AUTH, ...JSON_TYPE, 'sec-fetch-site': site }, hook());
      expect(res.status).toBe(403);
      expect(res.body?.message).toContain(`(Sec-Fetch-Site: ${site})`);
      // The browser's word wins over an Origin that looks like ours.
      const withOrigin = await send(port, 'POST', '/webhooks/subscriptions', { ...AUTH, ...JSON_TYPE, 'sec-fetch-site': site, origin: own }, hook());
      expect(withOrigin.status).toBe(403);
    }
    expect(await subscriptionCount()).toBe(before);
  });

  it('refuses a foreign Origin with a JSON body (403) on POST, PATCH and DELETE, changing nothing', async () => {
    const sub = await t.subscriptions.create({ url: receiver.url('/ok'), description: 'kept' });
    const before = await subscriptionCount();
    const foreign = { ...AUTH, ...JSON_TYPE, origin: EVIL };
    expect((await send(port, 'POST', '/webhooks/subscriptions', foreign, hook())).status).toBe(403);
    expect((await send(port, 'PATCH', `/webhooks/subscriptions/${sub.subscription_id}`, foreign, JSON.stringify({ url: 'https://evil.example/steal' }))).status).toBe(403);
    expect((await send(port, 'DELETE', `/webhooks/subscriptions/${sub.subscription_id}`, { ...AUTH, origin: EVIL })).status).toBe(403);
    expect((await send(port, 'POST', `/webhooks/subscriptions/${sub.subscription_id}/deactivate`, { ...AUTH, origin: EVIL })).status).toBe(403);
    // A look-alike of our own origin, and the opaque origin of a sandboxed frame, are foreign too.
    expect((await send(port, 'POST', '/webhooks/subscriptions', { ...foreign, origin: `https://127.0.0.1:${port}` }, hook())).status).toBe(403);
    expect((await send(port, 'POST', '/webhooks/subscriptions', { ...foreign, origin: 'null' }, hook())).status).toBe(403);
    expect(await subscriptionCount()).toBe(before);
    const after = await t.subscriptions.get(sub.subscription_id);
    expect(after).toMatchObject({ url: receiver.url('/ok'), active: true, description: 'kept' });
    await t.subscriptions.delete(sub.subscription_id);
  });

  it('refuses before the app’s guards run: a cross-site request without credentials gets the 403 saying why', async () => {
    const res = await send(port, 'POST', '/webhooks/subscriptions', { ...JSON_TYPE, origin: EVIL }, hook());
    expect(res.status).toBe(403);
    expect(res.body?.code).toBe('CROSS_SITE_REQUEST');
  });

  it('accepts what the dashboard sends: same-origin JSON, and POST and DELETE without a body or Content-Type', async () => {
    const browser = { ...AUTH, origin: own, 'sec-fetch-site': 'same-origin' };
    const created = await send(port, 'POST', '/webhooks/subscriptions', { ...browser, ...JSON_TYPE }, hook());
    expect(created.status).toBe(201);
    const id = created.body?.subscription_id as string;
    expect((await send(port, 'PATCH', `/webhooks/subscriptions/${id}`, { ...browser, 'content-type': 'application/json; charset=utf-8' }, JSON.stringify({ description: 'edited' }))).status).toBe(200);
    expect((await send(port, 'POST', `/webhooks/subscriptions/${id}/deactivate`, browser)).status).toBe(200);
    expect((await send(port, 'POST', `/webhooks/subscriptions/${id}/activate`, { ...browser, 'content-length': '0' })).status).toBe(200);
    expect(await t.subscriptions.get(id)).toMatchObject({ description: 'edited', active: true });
    expect((await send(port, 'DELETE', `/webhooks/subscriptions/${id}`, browser)).status).toBe(204);
    // Sec-Fetch-Site: none (typed in the address bar, a bookmark) passes too.
    const typed = await send(port, 'POST', '/webhooks/subscriptions', { ...AUTH, ...JSON_TYPE, 'sec-fetch-site': 'none' }, hook());
    expect(typed.status).toBe(201);
    await t.subscriptions.delete(typed.body?.subscription_id as string);
  });

  it('accepts an origin listed in admin_allowed_origins, even when the browser says cross-site', async () => {
    const res = await send(port, 'POST', '/webhooks/subscriptions', { ...AUTH, ...JSON_TYPE, origin: ADMIN_FRONT_END, 'sec-fetch-site': 'cross-site' }, hook());
    expect(res.status).toBe(201);
    await t.subscriptions.delete(res.body?.subscription_id as string);
  });

  it('accepts an API client that sends no Origin (201)', async () => {
    const res = await send(port, 'POST', '/webhooks/subscriptions', { ...AUTH, ...JSON_TYPE }, hook());
    expect(res.status).toBe(201);
    expect(res.body?.secret).toMatch(/^whsec_/);
    const id = res.body?.subscription_id as string;
    expect((await send(port, 'POST', `/webhooks/subscriptions/${id}/rotate-secret`, AUTH)).status).toBe(200);
    expect((await send(port, 'DELETE', `/webhooks/subscriptions/${id}`, AUTH)).status).toBe(204);
  });

  it('leaves reads alone: a GET with a foreign Origin is answered (CORS, not this check, guards reads)', async () => {
    const res = await send(port, 'GET', '/webhooks/health', { ...AUTH, origin: EVIL, 'sec-fetch-site': 'cross-site' });
    expect(res.status).toBe(200);
  });
});

describe('admin API behind a reverse proxy: the own origin comes from X-Forwarded-* only when Express trusts the proxy', () => {
  let t: AdminTestApp;
  let port: number;
  const proxied = { ...AUTH, ...JSON_TYPE, origin: 'https://ops.example.com', 'x-forwarded-host': 'ops.example.com', 'x-forwarded-proto': 'https' };
  const body = JSON.stringify({ url: 'https://example.com/hook' });

  beforeAll(async () => {
    t = await startApp(WebhookModule.forRoot({ enable_admin: true, admin_guards: [TestAdminGuard] }), {}, true);
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });

  afterAll(async () => {
    await t?.app.close();
  });

  it('ignores X-Forwarded-Host by default, and counts it once trust proxy is set', async () => {
    const refused = await send(port, 'POST', '/webhooks/subscriptions', proxied, body);
    expect(refused.status).toBe(403);
    expect(refused.body?.message).toContain(`(http://127.0.0.1:${port})`);

    (t.app.getHttpAdapter().getInstance() as { set(key: string, value: unknown): void }).set('trust proxy', 'loopback');
    try {
      const accepted = await send(port, 'POST', '/webhooks/subscriptions', proxied, body);
      expect(accepted.status).toBe(201);
      // A proxy that says the page was served over http: the https Origin is another origin.
      expect((await send(port, 'POST', '/webhooks/subscriptions', { ...proxied, 'x-forwarded-proto': 'http' }, body)).status).toBe(403);
    } finally {
      (t.app.getHttpAdapter().getInstance() as { set(key: string, value: unknown): void }).set('trust proxy', false);
    }
    await waitFor(async () => (await t.subscriptions.list()).length === 1, 'the one accepted subscription');
  });

  it('lets a browser through a TLS-terminating proxy without trust proxy: Sec-Fetch-Site: same-origin decides', async () => {
    // The page is https://ops.example.com; the app sees http and the Host the proxy sends.
    const res = await send(port, 'POST', '/webhooks/subscriptions', { ...AUTH, ...JSON_TYPE, origin: 'https://ops.example.com', 'sec-fetch-site': 'same-origin' }, body);
    expect(res.status).toBe(201);
  });
});
