import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { resolveWebhookConfig } from '../../lib/config/webhook-config';
import type { HttpClientKind } from '../../lib/config/webhook-config';
import { createWebhookTransport, type SendResult, type WebhookTransport } from '../../lib/delivery/http';

/**
 * `http_client: 'undici'` and `'http-service'` are two transports for one job. Every case runs on both against real
 * local servers: the results (but the duration) and the requests the receiver saw (method, path, raw header lines
 * in order, body; on the raw TCP server, every byte) must be identical.
 */
const KINDS: HttpClientKind[] = ['undici', 'http-service'];
const TIMEOUT_S = 0.3;
const MAX_RESPONSE_BYTES = 2048;

type Result = Omit<SendResult, 'duration_ms'>;
/** A request as the node:http receiver saw it. */
interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: string;
}
type Route = (res: ServerResponse, req: IncomingMessage) => void;
type RawRoute = (socket: Socket) => void;

const body = JSON.stringify({ event_id: 'evt_1', event_type: 'order.created', payload: { n: 1, s: 'é ✓' } });
const headers = {
  'content-type': 'application/json',
  'user-agent': 'nestjs-webhooks',
  'webhook-id': 'evt_1',
  'webhook-timestamp': '1704067200',
  'webhook-signature': 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
};

const answer =
  (status: number, text = '', extra: Record<string, string> = {}): Route =>
  (res) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...extra });
    res.end(text);
  };

describe('HTTP transports: undici and http-service give the same results and send the same requests', () => {
  const seen: Seen[] = [];
  const rawSeen: string[] = [];
  const sockets = new Set<Socket>();
  const routes: Record<string, Route> = {
    '/200': answer(200, 'fine'),
    '/204': answer(204),
    '/500': answer(500, `internal error\n\n  stack trace here ${'x'.repeat(300)}`),
    '/500-short': answer(500, '  nope\n'),
    '/500-empty': answer(500),
    '/302': answer(302, '', { location: 'http://127.0.0.1:1/elsewhere' }),
    '/301-relative': answer(301, 'moved', { location: '/200' }),
    '/410': answer(410, 'gone'),
    '/429': answer(429, 'slow down', { 'retry-after': '7' }),
    '/503': answer(503, 'maintenance', { 'retry-after': '  12 ' }),
    '/503-date': (res, req) => answer(503, 'later', { 'retry-after': new Date(Date.now() + 30_000).toUTCString() })(res, req),
    '/503-bad-retry-after': answer(503, '', { 'retry-after': 'soon' }),
    '/huge-500': answer(500, 'E'.repeat(MAX_RESPONSE_BYTES * 20)),
    '/huge-200': answer(200, 'A'.repeat(MAX_RESPONSE_BYTES * 20)),
    '/multibyte-500': answer(500, 'a' + 'é'.repeat(MAX_RESPONSE_BYTES)),
    '/hang': () => undefined,
    '/drip': (res) => {
      res.writeHead(200, { 'content-length': '100000' });
      const timer = setInterval(() => res.write('.'), 20);
      res.on('close', () => clearInterval(timer));
    },
  };
  const rawRoutes: Record<string, RawRoute> = {
    '/raw-200': (s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'),
    // Header names a receiver may send to reach an object's prototype, and a header given twice.
    '/raw-503-odd-headers': (s) =>
      s.end('HTTP/1.1 503 Busy\r\n__proto__: polluted\r\nconstructor: x\r\nRetry-After: 9\r\nretry-after: 1\r\ncontent-length: 4\r\nconnection: close\r\n\r\nbusy'),
    '/raw-reset': (s) => {
      s.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
      setTimeout(() => s.resetAndDestroy(), 20);
    },
    '/raw-drip-head': (s) => {
      // The status line and headers a byte at a time: no response ever starts.
      const head = `HTTP/1.1 200 OK\r\nx-slow: ${'s'.repeat(1000)}\r\n\r\n`;
      let i = 0;
      const timer = setInterval(() => s.write(head[i++ % head.length]), 10);
      s.on('close', () => clearInterval(timer));
    },
  };

  const httpServer = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', rawHeaders: [...req.rawHeaders], body: Buffer.concat(chunks).toString('utf8') });
      (routes[(req.url ?? '').split('?')[0]] ?? answer(404))(res, req);
    });
  });
  /** A bare TCP receiver: records each request's exact bytes, then misbehaves as its route says. */
  const rawServer = createNetServer((socket) => {
    let raw = Buffer.alloc(0);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      raw = Buffer.concat([raw, chunk]);
      const text = raw.toString('latin1');
      const headEnd = text.indexOf('\r\n\r\n');
      if (headEnd < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, headEnd))?.[1] ?? 0);
      if (raw.length < headEnd + 4 + length) return;
      rawSeen.push(text);
      raw = Buffer.alloc(0);
      rawRoutes[text.split(' ')[1]]?.(socket);
    });
  });
  for (const server of [httpServer, rawServer] as Server[]) {
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
  }

  let port = 0;
  let rawPort = 0;
  let refusedPort = 0;
  const transports = new Map<string, WebhookTransport>();
  const url = (path: string) => `http://127.0.0.1:${port}${path}`;
  const rawUrl = (path: string) => `http://127.0.0.1:${rawPort}${path}`;
  const listen = async (server: Server) => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  };

  /** The transport of `kind` for one variant of the config (built once, closed in afterAll). */
  function transport(kind: HttpClientKind, variant: 'open' | 'guarded' | 'small' | 'allow-listed'): WebhookTransport {
    const key = `${kind}/${variant}`;
    let t = transports.get(key);
    if (!t) {
      const options = {
        open: { allow_private_urls: true },
        guarded: {},
        small: { allow_private_urls: true, max_response_bytes: 100 },
        'allow-listed': { allowed_hosts: ['127.0.0.1'] },
      }[variant];
      t = createWebhookTransport(resolveWebhookConfig({ delivery_timeout_seconds: TIMEOUT_S, max_response_bytes: MAX_RESPONSE_BYTES, ...options, http_client: kind })).transport;
      transports.set(key, t);
    }
    return t;
  }

  beforeAll(async () => {
    port = await listen(httpServer);
    rawPort = await listen(rawServer);
    const probe = createNetServer();
    refusedPort = await listen(probe);
    await new Promise<void>((resolve) => probe.close(() => resolve()));
  });

  afterAll(async () => {
    await Promise.all([...transports.values()].map((t) => t.close()));
    for (const s of sockets) s.destroy();
    await Promise.all([httpServer, rawServer].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  interface Options {
    variant?: 'open' | 'guarded' | 'small' | 'allow-listed';
    headers?: Record<string, string>;
    body?: string;
    signal?: () => AbortSignal;
  }

  /** Sends once per transport, one after the other; returns each result and what each receiver saw of it. */
  async function sendBoth(target: string, o: Options = {}) {
    const out: Array<{ result: Result; saw: Seen[]; rawSaw: string[] }> = [];
    for (const kind of KINDS) {
      const before = seen.length;
      const rawBefore = rawSeen.length;
      const { duration_ms, ...result } = await transport(kind, o.variant ?? 'open').send(target, o.headers ?? headers, o.body ?? body, o.signal?.());
      expect(duration_ms).toBeGreaterThanOrEqual(0);
      out.push({ result, saw: seen.slice(before), rawSaw: rawSeen.slice(rawBefore) });
    }
    return { undici: out[0], httpService: out[1] };
  }

  /** Both transports gave the same result, matching `expected`, and the receiver saw the same (or no) request. */
  async function expectSame(target: string, expected: Partial<SendResult>, o: Options & { reached?: boolean } = {}) {
    const both = await sendBoth(target, o);
    expect(both.httpService.result).toEqual(both.undici.result);
    expect(both.undici.result).toMatchObject(expected);
    expect(both.httpService.saw).toEqual(both.undici.saw);
    expect(both.httpService.rawSaw).toEqual(both.undici.rawSaw);
    expect(both.undici.saw.length + both.undici.rawSaw.length).toBe(o.reached === false ? 0 : 1);
    return both.undici;
  }

  it('2xx, and the receiver gets exactly the headers given, plus what undici adds', async () => {
    const { saw } = await expectSame(url('/200'), { ok: true, status_code: 200, error_message: null, retry_after_ms: null, gone: false });
    await expectSame(url('/204?x=1'), { ok: true, status_code: 204 });
    expect(saw[0].method).toBe('POST');
    expect(saw[0].url).toBe('/200');
    expect(saw[0].body).toBe(body);
    expect(saw[0].rawHeaders).toEqual([
      ...['host', `127.0.0.1:${port}`, 'connection', 'keep-alive'],
      ...Object.entries(headers).flat(),
      ...['content-length', String(Buffer.byteLength(body))],
    ]);
  });

  it('the same request bytes on the wire, header names in the case given, the body byte for byte', async () => {
    const mixed = { 'Content-Type': 'application/json; charset=utf-8', 'X-Custom-Id': 'A-1', 'user-agent': 'custom/1.0' };
    const { rawSaw } = await expectSame(rawUrl('/raw-200'), { ok: true, status_code: 200 }, { headers: mixed });
    expect(rawSaw[0]).toContain('\r\nX-Custom-Id: A-1\r\n');
    expect(rawSaw[0].endsWith(`\r\n\r\n${Buffer.from(body).toString('latin1')}`)).toBe(true);
    // axios by default trims a JSON-typed body and re-encodes one that is not JSON: either would break its signature.
    for (const odd of ['  {"a":1}  \n', '{not json', '"just a string"']) {
      const { saw } = await expectSame(url('/200'), { ok: true }, { body: odd });
      expect(saw[0].body).toBe(odd);
    }
  });

  it('5xx with a body: the same preview, cut at 200 characters', async () => {
    const r = await expectSame(url('/500'), { ok: false, status_code: 500, retry_after_ms: null, gone: false });
    expect(r.result.error_message).toMatch(/^HTTP 500: internal error stack trace here x{168}\.\.\.$/);
    await expectSame(url('/500-short'), { status_code: 500, error_message: 'HTTP 500: nope' });
    await expectSame(url('/500-empty'), { status_code: 500, error_message: 'HTTP 500' });
  });

  it('3xx: not followed, the location in the message', async () => {
    await expectSame(url('/302'), { ok: false, status_code: 302, error_message: 'HTTP 302: redirect to http://127.0.0.1:1/elsewhere not followed' });
    await expectSame(url('/301-relative'), { ok: false, status_code: 301, error_message: 'HTTP 301: redirect to /200 not followed' });
  });

  it('410 Gone', async () => {
    await expectSame(url('/410'), { ok: false, status_code: 410, gone: true, error_message: 'HTTP 410: gone', retry_after_ms: null });
  });

  it('429 and 503 with Retry-After in seconds or as an HTTP date', async () => {
    await expectSame(url('/429'), { ok: false, status_code: 429, retry_after_ms: 7000, gone: false, error_message: 'HTTP 429: slow down' });
    await expectSame(url('/503'), { status_code: 503, retry_after_ms: 12_000, error_message: 'HTTP 503: maintenance' });
    await expectSame(url('/503-bad-retry-after'), { status_code: 503, retry_after_ms: null });
    // An HTTP date is relative to now, so the two differ by the time between the sends.
    const both = await sendBoth(url('/503-date'));
    for (const { result } of [both.undici, both.httpService]) {
      expect(result).toMatchObject({ ok: false, status_code: 503, error_message: 'HTTP 503: later' });
      expect(result.retry_after_ms).toBeGreaterThan(28_000);
      expect(result.retry_after_ms).toBeLessThanOrEqual(30_000);
    }
    expect(both.httpService.saw).toEqual(both.undici.saw);
  });

  it('hostile or repeated response headers: a repeated Retry-After counts by its first value, and no name reaches a prototype', async () => {
    await expectSame(rawUrl('/raw-503-odd-headers'), { ok: false, status_code: 503, retry_after_ms: 9000, error_message: 'HTTP 503: busy' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });

  it('a response body past max_response_bytes is cut and marked', async () => {
    const r = await expectSame(url('/huge-500'), { ok: false, status_code: 500 });
    expect(r.result.error_message).toBe(`HTTP 500: ${'E'.repeat(200)}...`);
    await expectSame(url('/huge-200'), { ok: true, status_code: 200 });
    // Cut before the preview length: the marker is still added.
    await expectSame(url('/huge-500'), { status_code: 500, error_message: `HTTP 500: ${'E'.repeat(100)}...` }, { variant: 'small' });
    await expectSame(url('/500-short'), { status_code: 500, error_message: 'HTTP 500: nope' }, { variant: 'small' });
    // Cut inside a multi-byte character: the same replacement character on both.
    await expectSame(url('/multibyte-500'), { status_code: 500, error_message: `HTTP 500: a${'é'.repeat(49)}\ufffd...` }, { variant: 'small' });
  });

  it('a receiver that never answers times out', async () => {
    await expectSame(url('/hang'), { ok: false, status_code: null, error_message: `timeout after ${TIMEOUT_S}s`, retry_after_ms: null, gone: false });
  });

  it('a receiver that drips its body or its headers still times out: the timeout covers the whole exchange', async () => {
    await expectSame(url('/drip'), { ok: false, status_code: null, error_message: `timeout after ${TIMEOUT_S}s` });
    await expectSame(rawUrl('/raw-drip-head'), { ok: false, status_code: null, error_message: `timeout after ${TIMEOUT_S}s` });
  });

  it('a connection reset in the middle of the response', async () => {
    const r = await expectSame(rawUrl('/raw-reset'), { ok: false, status_code: null });
    expect(['connection reset by the receiver', 'connection closed by the receiver before a complete response']).toContain(r.result.error_message);
  });

  it('connection refused, and an invalid URL', async () => {
    await expectSame(`http://127.0.0.1:${refusedPort}/hook`, { ok: false, status_code: null, error_message: 'connection refused' }, { reached: false });
    const r = await expectSame('not a url', { ok: false, status_code: null }, { reached: false });
    expect(r.result.error_message).toMatch(/Invalid URL/);
  });

  it('SSRF: a private address is refused in the connector unless allowed', async () => {
    const refusal = `refused: 127.0.0.1 is a private or reserved address; set allow_private_urls or add it to allowed_hosts`;
    await expectSame(url('/200'), { ok: false, status_code: null, error_message: refusal }, { variant: 'guarded', reached: false });
    // A name goes through the guarded lookup: the address checked is the one connected to.
    const r = await expectSame(`http://localhost:${port}/200`, { ok: false, status_code: null }, { variant: 'guarded', reached: false });
    // the attempt log never learns where a name points (no DNS oracle)
    expect(r.result.error_message).toBe('refused: localhost resolves to a private or reserved address; set allow_private_urls or add it to allowed_hosts');
    await expectSame(url('/200'), { ok: true, status_code: 200 }, { variant: 'allow-listed' });
  });

  it('an abort through the AbortSignal, in flight or before the send', async () => {
    const abortSoon = (reason?: unknown) => () => {
      const c = new AbortController();
      setTimeout(() => c.abort(reason), 50);
      return c.signal;
    };
    await expectSame(url('/hang'), { ok: false, status_code: null, error_message: 'aborted (shutting down)' }, { signal: abortSoon() });
    const reason = Object.assign(new Error('shutdown deadline passed'), { code: 'ERR_SHUTDOWN' });
    await expectSame(url('/hang'), { ok: false, error_message: 'ERR_SHUTDOWN: shutdown deadline passed' }, { signal: abortSoon(reason) });
    // Already aborted: nothing is sent.
    await expectSame(url('/200'), { ok: false, status_code: null, error_message: 'aborted (shutting down)' }, { signal: () => AbortSignal.abort(), reached: false });
  });

  it('one signal shared by many sends (the engine shares its shutdown signal): an abort ends every send in flight, and refuses the next', async () => {
    for (const kind of KINDS) {
      const t = transport(kind, 'open');
      const shared = new AbortController();
      // Sends that ended before the abort are not touched by it; it leaves no listener per send behind.
      for (let i = 0; i < 20; i++) expect((await t.send(url('/200'), headers, body, shared.signal)).ok).toBe(true);
      const hanging = Array.from({ length: 5 }, () => t.send(url('/hang'), headers, body, shared.signal));
      await new Promise((resolve) => setTimeout(resolve, 50));
      shared.abort(Object.assign(new Error('shutdown deadline passed'), { code: 'ERR_SHUTDOWN' }));
      for (const r of await Promise.all(hanging)) expect(r).toMatchObject({ ok: false, status_code: null, error_message: 'ERR_SHUTDOWN: shutdown deadline passed' });
      // After the abort, a send with the same signal is refused before anything is sent.
      const before = seen.length;
      expect(await t.send(url('/200'), headers, body, shared.signal)).toMatchObject({ ok: false, error_message: 'ERR_SHUTDOWN: shutdown deadline passed' });
      expect(seen.length).toBe(before);
    }
  });
});
