import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveWebhookConfig } from '../../lib/config/webhook-config';
import type { WebhookSubscription } from '../../lib/domain/types';
import { WebhookHttpClient, type SendResult } from '../../lib/delivery/webhook-http.client';
import { WebhookSigner } from '../../lib/signing/webhook-signer';
import { hang, ok, TestReceiver, type Behaviour } from '../support/receiver';

/**
 * `WebhookHttpClient.send()` calls the undici exchange directly while no axios interceptor is registered, and goes
 * through `HttpService.post()` otherwise. Every case here runs on both paths against a real local server: the
 * results (but the duration) and the request the receiver saw (raw header lines in order, body) must be identical.
 */
describe('WebhookHttpClient: direct path and axios path', () => {
  const TIMEOUT_S = 0.3;
  const MAX_RESPONSE_BYTES = 2048;
  let receiver: TestReceiver;
  let client: WebhookHttpClient;
  let guarded: WebhookHttpClient;
  /** Reads at most 100 bytes of a response, less than the error preview. */
  let small: WebhookHttpClient;
  let refusedPort = 0;
  /** Raw request lines as the receiver saw them, by request path. */
  const seen: Array<{ path: string; rawHeaders: string[]; body: string }> = [];

  const config = resolveWebhookConfig({ allow_private_urls: true, delivery_timeout_seconds: TIMEOUT_S, max_response_bytes: MAX_RESPONSE_BYTES });
  const signer = new WebhookSigner(config);
  const subscription = { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', previous_secret: null, previous_secret_expires_at: null } as unknown as WebhookSubscription;
  const body = JSON.stringify({ event_id: 'evt_1', event_type: 'order.created', occurred_at: '2024-01-01T00:00:00.000Z', source: null, payload: { n: 1, s: 'é ✓' } });
  const signed = () => signer.headers(subscription, 'evt_1', 'order.created', body, new Date('2024-01-01T00:00:00Z'));

  const recording =
    (b: Behaviour): Behaviour =>
    (req: IncomingMessage, res, reqBody, n) => {
      seen.push({ path: (req.url ?? '').split('?')[0], rawHeaders: [...req.rawHeaders], body: reqBody });
      b(req, res, reqBody, n);
    };

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    const longBody = `internal error\n\n  stack trace here ${'x'.repeat(300)}`;
    const routes: Record<string, Behaviour> = {
      '/200': ok(200, 'fine'),
      '/204': ok(204, ''),
      '/500': ok(500, longBody),
      '/500-short': ok(500, '  nope\n'),
      '/500-empty': ok(500, ''),
      '/302': ok(302, '', { location: 'http://127.0.0.1:1/elsewhere' }),
      '/302-spaced': ok(302, '', { location: ' \t/spaced\t ' }),
      '/301-relative': ok(301, 'moved', { location: '/200' }),
      '/429': ok(429, 'slow down', { 'retry-after': '7' }),
      '/503': ok(503, 'maintenance', { 'retry-after': '  12 ' }),
      '/503-bad-retry-after': ok(503, '', { 'retry-after': 'soon' }),
      '/410': ok(410, 'gone'),
      '/hang': hang(),
      '/huge-500': ok(500, 'E'.repeat(MAX_RESPONSE_BYTES * 20)),
      '/huge-200': ok(200, 'A'.repeat(MAX_RESPONSE_BYTES * 20)),
      '/short-multibyte-500': ok(500, 'a' + 'é'.repeat(MAX_RESPONSE_BYTES)),
    };
    for (const [path, behaviour] of Object.entries(routes)) receiver.on(path, recording(behaviour));
    client = new WebhookHttpClient(config);
    guarded = new WebhookHttpClient(resolveWebhookConfig({ delivery_timeout_seconds: TIMEOUT_S }));
    small = new WebhookHttpClient(resolveWebhookConfig({ allow_private_urls: true, delivery_timeout_seconds: TIMEOUT_S, max_response_bytes: 100 }));
    // A port nothing listens on.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    refusedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  afterEach(() => {
    jest.restoreAllMocks();
    client.http.axiosRef.interceptors.request.clear();
    client.http.axiosRef.interceptors.response.clear();
  });

  afterAll(async () => {
    await client.onApplicationShutdown();
    await guarded.onApplicationShutdown();
    await small.onApplicationShutdown();
    await receiver.close();
  });

  const withoutDuration = ({ duration_ms, ...rest }: SendResult) => {
    expect(typeof duration_ms).toBe('number');
    return rest;
  };

  /**
   * Sends once with no interceptor (must not touch `HttpService.post`) and once with a no-op request interceptor
   * (must go through it), and returns both results and what the receiver saw of each.
   */
  async function bothPaths(
    url: string,
    headers: Record<string, string> = signed(),
    via: WebhookHttpClient = client,
    signal?: () => AbortSignal,
  ): Promise<{ direct: Omit<SendResult, 'duration_ms'>; axios: Omit<SendResult, 'duration_ms'>; directSaw: (typeof seen)[number] | undefined; axiosSaw: (typeof seen)[number] | undefined }> {
    const post = jest.spyOn(via.http, 'post').mockClear();
    const before = seen.length;
    const direct = await via.send(url, headers, body, signal?.());
    expect(post).not.toHaveBeenCalled();
    const directSaw = seen.slice(before).at(-1);
    expect(seen.length - before).toBeLessThanOrEqual(1);

    const noop = jest.fn((c: unknown) => c);
    const id = via.http.axiosRef.interceptors.request.use(noop as never);
    const mid = seen.length;
    const viaAxios = await via.send(url, headers, body, signal?.());
    via.http.axiosRef.interceptors.request.eject(id);
    expect(post).toHaveBeenCalledTimes(1);
    expect(noop).toHaveBeenCalledTimes(1);
    post.mockRestore();
    const axiosSaw = seen.slice(mid).at(-1);
    expect(seen.length - mid).toBeLessThanOrEqual(1);
    return { direct: withoutDuration(direct), axios: withoutDuration(viaAxios), directSaw, axiosSaw };
  }

  /** Both paths gave `expected`, and the receiver saw the same request from both (when it saw one). */
  async function expectSame(url: string, expected: Partial<SendResult>, headers?: Record<string, string>, via?: WebhookHttpClient, reached = true) {
    const r = await bothPaths(url, headers, via);
    expect(r.direct).toEqual(r.axios);
    expect(r.direct).toMatchObject(expected);
    if (reached) {
      expect(r.directSaw).toBeDefined();
      expect(r.directSaw).toEqual(r.axiosSaw);
    } else {
      expect(r.directSaw).toBeUndefined();
      expect(r.axiosSaw).toBeUndefined();
    }
    return r;
  }

  it('a request interceptor on http.axiosRef is called and its header reaches the receiver; ejecting it restores the direct path', async () => {
    const interceptor = jest.fn((c: { headers: { set: (k: string, v: string) => void } }) => {
      c.headers.set('X-Intercepted', 'yes');
      return c;
    });
    const post = jest.spyOn(client.http, 'post');
    const id = client.http.axiosRef.interceptors.request.use(interceptor as never);
    const result = await client.send(receiver.url('/200'), signed(), body);
    expect(result).toMatchObject({ ok: true, status_code: 200 });
    expect(interceptor).toHaveBeenCalledTimes(1);
    expect(post).toHaveBeenCalledTimes(1);
    expect(receiver.received('/200').at(-1)!.headers['x-intercepted']).toBe('yes');

    client.http.axiosRef.interceptors.request.eject(id);
    expect(await client.send(receiver.url('/200'), signed(), body)).toMatchObject({ ok: true, status_code: 200 });
    expect(interceptor).toHaveBeenCalledTimes(1);
    expect(post).toHaveBeenCalledTimes(1);
    expect(receiver.received('/200').at(-1)!.headers['x-intercepted']).toBeUndefined();
  });

  it('a response interceptor also routes sends through axios, and sees the response', async () => {
    const interceptor = jest.fn((r: { status: number }) => r);
    const post = jest.spyOn(client.http, 'post');
    client.http.axiosRef.interceptors.response.use(interceptor as never);
    expect(await client.send(receiver.url('/410'), signed(), body)).toMatchObject({ ok: false, status_code: 410, gone: true });
    expect(post).toHaveBeenCalledTimes(1);
    expect(interceptor).toHaveBeenCalledWith(expect.objectContaining({ status: 410 }));
  });

  it('2xx', async () => {
    await expectSame(receiver.url('/200'), { ok: true, status_code: 200, error_message: null, retry_after_ms: null, gone: false });
    await expectSame(receiver.url('/204'), { ok: true, status_code: 204, error_message: null });
  });

  it('the receiver sees the same headers and body on both paths, as axios sends them', async () => {
    const { directSaw } = await expectSame(receiver.url('/200'), { ok: true });
    const headers: Record<string, string> = {};
    for (let i = 0; i < directSaw!.rawHeaders.length; i += 2) headers[directSaw!.rawHeaders[i]] = directSaw!.rawHeaders[i + 1];
    expect(directSaw!.body).toBe(body);
    expect(headers).toEqual({
      accept: 'application/json, text/plain, */*',
      'content-type': 'application/json',
      'user-agent': 'nestjs-webhooks',
      'webhook-id': 'evt_1',
      'webhook-timestamp': '1704067200',
      'webhook-event-type': 'order.created',
      'webhook-signature': expect.stringMatching(/^v1,/),
      host: `127.0.0.1:${receiver.port}`,
      connection: 'keep-alive',
      'content-length': String(Buffer.byteLength(body)),
    });
  });

  it('5xx with a body: the same preview, cut at the preview length', async () => {
    const { direct } = await expectSame(receiver.url('/500'), { ok: false, status_code: 500, retry_after_ms: null, gone: false });
    expect(direct.error_message).toMatch(/^HTTP 500: internal error stack trace here x+\.\.\.$/);
    await expectSame(receiver.url('/500-short'), { status_code: 500, error_message: 'HTTP 500: nope' });
    await expectSame(receiver.url('/500-empty'), { status_code: 500, error_message: 'HTTP 500' });
  });

  it('3xx: not followed, the location in the message', async () => {
    await expectSame(receiver.url('/302'), { ok: false, status_code: 302, error_message: 'HTTP 302: redirect to http://127.0.0.1:1/elsewhere not followed' });
    await expectSame(receiver.url('/301-relative'), { status_code: 301, error_message: 'HTTP 301: redirect to /200 not followed' });
    await expectSame(receiver.url('/302-spaced'), { status_code: 302, error_message: 'HTTP 302: redirect to /spaced not followed' });
  });

  it('429 and 503 with Retry-After, and 410 Gone', async () => {
    await expectSame(receiver.url('/429'), { ok: false, status_code: 429, retry_after_ms: 7000, gone: false, error_message: 'HTTP 429: slow down' });
    await expectSame(receiver.url('/503'), { status_code: 503, retry_after_ms: 12_000, error_message: 'HTTP 503: maintenance' });
    await expectSame(receiver.url('/503-bad-retry-after'), { status_code: 503, retry_after_ms: null });
    await expectSame(receiver.url('/410'), { ok: false, status_code: 410, gone: true, error_message: 'HTTP 410: gone' });
  });

  it('a body past max_response_bytes is cut and marked', async () => {
    const { direct } = await expectSame(receiver.url('/huge-500'), { ok: false, status_code: 500 });
    expect(direct.error_message).toBe(`HTTP 500: ${'E'.repeat(200)}...`);
    await expectSame(receiver.url('/huge-200'), { ok: true, status_code: 200 });
    // Cut before the preview length: the marker is added.
    await expectSame(receiver.url('/huge-500'), { status_code: 500, error_message: `HTTP 500: ${'E'.repeat(100)}...` }, undefined, small);
    await expectSame(receiver.url('/500-short'), { status_code: 500, error_message: 'HTTP 500: nope' }, undefined, small);
    // Cut inside a multi-byte character: the same replacement character on both paths.
    await expectSame(receiver.url('/short-multibyte-500'), { status_code: 500 });
    await expectSame(receiver.url('/short-multibyte-500'), { status_code: 500, error_message: `HTTP 500: a${'é'.repeat(49)}\ufffd...` }, undefined, small);
  });

  it('a receiver that never answers times out', async () => {
    await expectSame(receiver.url('/hang'), { ok: false, status_code: null, error_message: `timeout after ${TIMEOUT_S}s`, retry_after_ms: null, gone: false });
  });

  it('connection refused', async () => {
    await expectSame(`http://127.0.0.1:${refusedPort}/hook`, { ok: false, status_code: null, error_message: 'connection refused' }, undefined, undefined, false);
  });

  it('an invalid URL', async () => {
    const { direct } = await expectSame('not a url', { ok: false, status_code: null }, undefined, undefined, false);
    expect(direct.error_message).toMatch(/Invalid URL/);
  });

  it('SSRF: a private address is refused by the guarded connector on both paths', async () => {
    const { direct } = await expectSame(receiver.url('/200'), { ok: false, status_code: null }, undefined, guarded, false);
    expect(direct.error_message).toMatch(/127\.0\.0\.1/);
  });

  it('an abort while the send is in flight', async () => {
    const abortSoon = () => {
      const c = new AbortController();
      setTimeout(() => c.abort(), 50);
      return c.signal;
    };
    const r = await bothPaths(receiver.url('/hang'), signed(), client, abortSoon);
    expect(r.direct).toEqual(r.axios);
    expect(r.direct).toMatchObject({ ok: false, status_code: null, error_message: 'aborted (shutting down)' });
    // An already aborted signal: nothing is sent on either path.
    const aborted = AbortSignal.abort();
    const before = seen.length;
    const direct = await client.send(receiver.url('/200'), signed(), body, aborted);
    client.http.axiosRef.interceptors.request.use((c) => c);
    expect(withoutDuration(await client.send(receiver.url('/200'), signed(), body, aborted))).toEqual(withoutDuration(direct));
    expect(direct.error_message).toBe('aborted (shutting down)');
    expect(seen.length).toBe(before);
  });

  it('headers without content-type, in mixed case, and default headers set on axiosRef', async () => {
    const headers = { 'X-Event-Id': 'evt_1', 'User-Agent': 'custom/1.0', Accept: '*/*', 'x-count': '3' };
    const { directSaw } = await expectSame(receiver.url('/200'), { ok: true }, headers);
    // axios's defaults for a POST without a content-type.
    expect(directSaw!.rawHeaders).toEqual(expect.arrayContaining(['content-type', 'application/x-www-form-urlencoded', 'x-event-id', 'user-agent', 'custom/1.0']));

    const defaults = client.http.axiosRef.defaults.headers;
    defaults.common['X-Tenant'] = 'tenant-1';
    defaults.post['Content-Type'] = 'application/json';
    (defaults as unknown as Record<string, unknown>)['X-Top'] = 42;
    try {
      const r = await expectSame(receiver.url('/200'), { ok: true }, { 'user-agent': 'ua' });
      expect(r.directSaw!.rawHeaders).toEqual(expect.arrayContaining(['x-tenant', 'tenant-1', 'content-type', 'application/json', 'x-top', '42']));
      // A request header replaces a default of any case.
      const r2 = await expectSame(receiver.url('/200'), { ok: true }, { 'x-tenant': 'tenant-2' });
      expect(r2.directSaw!.rawHeaders).toEqual(expect.arrayContaining(['x-tenant', 'tenant-2']));
      expect(r2.directSaw!.rawHeaders).not.toContain('tenant-1');
    } finally {
      delete defaults.common['X-Tenant'];
      delete defaults.post['Content-Type'];
      delete (defaults as unknown as Record<string, unknown>)['X-Top'];
    }
  });

  it('a header value axios would clean up (surrounding spaces) goes through axios, so the receiver still sees it cleaned', async () => {
    const post = jest.spyOn(client.http, 'post');
    const before = seen.length;
    const result = await client.send(receiver.url('/200'), { ...signed(), 'user-agent': '  spaced/1.0 ' }, body);
    expect(result).toMatchObject({ ok: true });
    expect(post).toHaveBeenCalledTimes(1);
    const raw = seen[before].rawHeaders;
    expect(raw[raw.indexOf('user-agent') + 1]).toBe('spaced/1.0');
  });

  it('changing the timeout on axiosRef applies to the direct path too', async () => {
    const previous = client.http.axiosRef.defaults.timeout;
    client.http.axiosRef.defaults.timeout = 200;
    try {
      await expectSame(receiver.url('/hang'), { ok: false, error_message: 'timeout after 0.2s' });
    } finally {
      client.http.axiosRef.defaults.timeout = previous;
    }
  });
});
