import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServerResponse } from 'node:http';
import type { DeliveryAttempt } from '../../lib';
import { ERROR_BODY_PREVIEW_CHARS } from '../../lib/delivery/http/send-result';
import { createTestApp, type TestApp } from '../support/app';
import { hang, ok, reset, TestReceiver, waitFor, type Behaviour } from '../support/receiver';
import { trackSockets, waitForAttempts } from './helpers';

/**
 * Issue 5.2: every hostile receiver behaviour, each against a real local server, is logged as a failed attempt
 * with a useful error_message and retried as configured; none of them holds up the other deliveries.
 */
describe('hostile receivers', () => {
  const TIMEOUT_S = 0.5;
  let receiver: TestReceiver;
  let t: TestApp | undefined;
  const timers = new Set<NodeJS.Timeout>();
  const closers: Array<() => Promise<void>> = [];
  let tlsDir: string;
  let httpsPort = 0;
  let silentPort = 0;
  let closesBeforeHeadersPort = 0;
  let garbagePort = 0;
  let headerFloodPort = 0;
  let slowHeadersPort = 0;
  const hugeBody = { attempts: 0, bytesWritten: [] as number[] };

  /** Starts a raw TCP server on 127.0.0.1 whose sockets are destroyed at the end. */
  async function rawServer(onSocket: (s: Socket) => void): Promise<number> {
    const server: NetServer = createNetServer(onSocket);
    closers.push(trackSockets(server));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }

  /** Streams `total` bytes of 500 body with back-pressure, stopping when the client goes away. */
  const huge =
    (total: number): Behaviour =>
    (_req, res) => {
      hugeBody.attempts++;
      const slot = hugeBody.bytesWritten.push(0) - 1;
      res.on('error', () => undefined);
      res.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(total) });
      const chunk = Buffer.alloc(64 * 1024, 'E');
      let closed = false;
      res.on('close', () => (closed = true));
      const pump = () => {
        while (!closed && hugeBody.bytesWritten[slot] < total) {
          hugeBody.bytesWritten[slot] += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!closed) res.end();
      };
      pump();
    };

  /** Answers 200 and then one byte every `everyMs`, forever. */
  const drip =
    (everyMs: number): Behaviour =>
    (_req, res: ServerResponse) => {
      res.on('error', () => undefined);
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('.'), everyMs);
      timers.add(timer);
      res.on('close', () => {
        clearInterval(timer);
        timers.delete(timer);
      });
    };

  /** Sends the status line, headers and part of the body, then resets the TCP connection. */
  const resetMidResponse: Behaviour = (req, res) => {
    res.on('error', () => undefined);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '10000' });
    res.write('partial body');
    const timer = setTimeout(() => req.socket.resetAndDestroy(), 30);
    timers.add(timer);
  };

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver
      .on('/healthy', ok())
      .on('/hang', hang())
      .on('/reset-mid', resetMidResponse)
      .on('/reset-before-headers', reset())
      .on('/302', ok(302, '', { location: 'http://127.0.0.1:1/elsewhere' }))
      .on('/301', ok(301, 'moved', { location: '/healthy' }))
      .on('/307', ok(307, '', { location: 'http://169.254.169.254/latest/meta-data/' }))
      .on('/500', ok(500, 'internal error\nstack trace here'))
      .on('/503', ok(503, 'maintenance'))
      .on('/huge', huge(50 * 1024 * 1024))
      .on('/drip', drip(100));

    // Accepts the TCP connection and never reads or answers.
    silentPort = await rawServer(() => undefined);
    // Reads the request, then closes the connection cleanly without a status line.
    closesBeforeHeadersPort = await rawServer((s) => s.once('data', () => s.end()));
    // Answers something that is not HTTP.
    garbagePort = await rawServer((s) => s.once('data', () => s.end('SSH-2.0-OpenSSH_9.6\r\n\r\n')));

    // Answers a status line followed by megabytes of headers.
    headerFloodPort = await rawServer((s) =>
      s.once('data', () => {
        s.write('HTTP/1.1 200 OK\r\n');
        for (let i = 0; i < 2000 && !s.destroyed; i++) s.write(`X-Junk-${i}: ${'j'.repeat(1000)}\r\n`);
      }),
    );
    // Sends the status line and headers one byte every 100 ms.
    slowHeadersPort = await rawServer((s) =>
      s.once('data', () => {
        const head = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        let i = 0;
        const timer = setInterval(() => {
          if (s.destroyed || i >= head.length) return clearInterval(timer);
          s.write(head.subarray(i, ++i));
        }, 100);
        timers.add(timer);
      }),
    );

    // HTTPS with a self-signed (untrusted) certificate made for this run.
    tlsDir = mkdtempSync(join(tmpdir(), 'webhook-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-days', '1', '-keyout', join(tlsDir, 'key.pem'), '-out', join(tlsDir, 'cert.pem')], { stdio: 'ignore' });
    const https: HttpsServer = createHttpsServer({ key: readFileSync(join(tlsDir, 'key.pem')), cert: readFileSync(join(tlsDir, 'cert.pem')) }, (_req, res) => {
      res.end('should never be reached');
    });
    closers.push(trackSockets(https));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    httpsPort = (https.address() as AddressInfo).port;
  });

  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  afterAll(async () => {
    for (const timer of timers) clearTimeout(timer);
    await Promise.all(closers.map((close) => close()));
    await receiver.close();
    rmSync(tlsDir, { recursive: true, force: true });
  });

  const app = (options = {}) => createTestApp({ delivery_timeout_seconds: TIMEOUT_S, retry_max_attempts: 2, ...options });

  /** Subscribes `url` to one event type, dispatches one event and waits for both attempts (the retry). */
  async function twoAttempts(url: string, eventType: string): Promise<[DeliveryAttempt, DeliveryAttempt]> {
    await t!.subscriptions.create({ url, event_types: [eventType] });
    const { event_id } = await t!.delivery.dispatch({ event_type: eventType, payload: { hostile: eventType } });
    const attempts = await waitForAttempts(t!, event_id, 2);
    expect(attempts).toHaveLength(2);
    const [first, second] = attempts;
    expect(first).toMatchObject({ status: 'failed', attempt_number: 1 });
    expect(first.next_retry_at).toBeInstanceOf(Date);
    expect(second).toMatchObject({ status: 'dead_letter', attempt_number: 2, next_retry_at: null });
    expect(second.attempted_at.getTime()).toBeGreaterThanOrEqual(first.next_retry_at!.getTime());
    return [first, second];
  }

  const timeoutMessage = `timeout after ${TIMEOUT_S}s`;

  it.each([
    ['hangs past the timeout', () => receiver.url('/hang'), { status_code: null, error_message: timeoutMessage }],
    ['accepts the connection and never answers', () => `http://127.0.0.1:${silentPort}/`, { status_code: null, error_message: timeoutMessage }],
    ['drips the body one byte every 100 ms', () => receiver.url('/drip'), { status_code: null, error_message: timeoutMessage }],
    ['resets mid-response', () => receiver.url('/reset-mid'), { status_code: null, error_message: expect.stringMatching(/^connection (reset|closed) by the receiver/) }],
    ['resets before the headers', () => receiver.url('/reset-before-headers'), { status_code: null, error_message: expect.stringMatching(/^connection (reset|closed) by the receiver/) }],
    ['closes before the headers', () => `http://127.0.0.1:${closesBeforeHeadersPort}/`, { status_code: null, error_message: 'connection closed by the receiver before a complete response' }],
    ['sends its headers one byte every 100 ms', () => `http://127.0.0.1:${slowHeadersPort}/`, { status_code: null, error_message: timeoutMessage }],
    ['floods the response with megabytes of headers', () => `http://127.0.0.1:${headerFloodPort}/`, { status_code: null, error_message: 'invalid HTTP response: headers too large' }],
    ['answers with something that is not HTTP', () => `http://127.0.0.1:${garbagePort}/`, { status_code: null, error_message: expect.stringMatching(/^invalid HTTP response: /) }],
    ['answers 302 to a closed port', () => receiver.url('/302'), { status_code: 302, error_message: 'HTTP 302: redirect to http://127.0.0.1:1/elsewhere not followed' }],
    ['answers 301 to a healthy path', () => receiver.url('/301'), { status_code: 301, error_message: 'HTTP 301: redirect to /healthy not followed' }],
    ['answers 307 to the metadata service', () => receiver.url('/307'), { status_code: 307, error_message: 'HTTP 307: redirect to http://169.254.169.254/latest/meta-data/ not followed' }],
    ['answers 500', () => receiver.url('/500'), { status_code: 500, error_message: 'HTTP 500: internal error stack trace here' }],
    ['answers 503 without Retry-After', () => receiver.url('/503'), { status_code: 503, error_message: 'HTTP 503: maintenance' }],
    ['serves https with an untrusted certificate', () => `https://localhost:${httpsPort}/`, { status_code: null, error_message: expect.stringMatching(/^TLS error: (DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_CERT_ALTNAME_INVALID)/) }],
  ])('a receiver that %s: a failed attempt with a useful message, then a retry', async (what, url, expected) => {
    t = await app();
    const started = Date.now();
    const healthyBefore = receiver.received('/healthy').length;
    const [first, second] = await twoAttempts(url(), `hostile.${what.replace(/[^a-z0-9]+/gi, '_')}`.slice(0, 200));
    expect(first).toMatchObject(expected);
    expect(second).toMatchObject(expected);
    // Each attempt ends within the whole-request timeout (plus scheduling slack on a busy machine).
    for (const a of [first, second]) expect(a.duration_ms).toBeLessThan(TIMEOUT_S * 1000 + 1500);
    expect(Date.now() - started).toBeLessThan(15_000);
    // Redirects are never followed.
    expect(receiver.received('/healthy').length).toBe(healthyBefore);
    expect(receiver.received('/elsewhere')).toHaveLength(0);
  });

  it('reads at most max_response_bytes of a 50 MB body: prompt, bounded preview, flat memory', async () => {
    t = await app({ retry_max_attempts: 3, delivery_timeout_seconds: 10, max_response_bytes: 65_536 });
    global.gc?.();
    const rssBefore = process.memoryUsage().rss;
    await t.subscriptions.create({ url: receiver.url('/huge'), event_types: ['huge'] });
    const { event_id } = await t.delivery.dispatch({ event_type: 'huge', payload: {} });
    const attempts = await waitForAttempts(t, event_id, 3);
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    expect(attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'dead_letter']);
    for (const a of attempts) {
      expect(a.status_code).toBe(500);
      // Only the start of the body, whitespace-collapsed and cut.
      expect(a.error_message).toBe(`HTTP 500: ${'E'.repeat(ERROR_BODY_PREVIEW_CHARS)}...`);
      // Far from the 10 s timeout: the read stopped at the bound instead of downloading 50 MB.
      expect(a.duration_ms).toBeLessThan(5000);
    }
    await waitFor(() => hugeBody.attempts >= 3, 'the server to see three requests');
    // The sender hung up early: the server wrote far less than 50 MB each time (socket buffers absorb some).
    for (const written of hugeBody.bytesWritten) expect(written).toBeLessThan(25 * 1024 * 1024);
    // 150 MB were offered in total; memory must not follow (a generous sanity bound, not a measurement).
    expect(rssGrowth).toBeLessThan(100 * 1024 * 1024);
  });

  it('a 2xx with a huge body is still a success, read only up to the bound', async () => {
    t = await app({ delivery_timeout_seconds: 10 });
    receiver.on('/huge-ok', (req, res, body, n) => {
      res.on('error', () => undefined);
      res.writeHead(200, { 'content-type': 'text/plain' });
      let closed = false;
      res.on('close', () => (closed = true));
      const chunk = Buffer.alloc(64 * 1024, 'k');
      let sent = 0;
      const pump = () => {
        while (!closed && sent < 50 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        if (!closed) res.end();
      };
      pump();
      void body;
      void n;
    });
    await t.subscriptions.create({ url: receiver.url('/huge-ok'), event_types: ['huge-ok'] });
    const { event_id } = await t.delivery.dispatch({ event_type: 'huge-ok', payload: {} });
    const [attempt] = await waitForAttempts(t, event_id, 1);
    expect(attempt).toMatchObject({ status: 'delivered', status_code: 200, error_message: null });
    expect(attempt.duration_ms).toBeLessThan(5000);
  });

  it('none of them stalls the others: a healthy endpoint is served while every hostile one is failing', async () => {
    // A long timeout makes "the healthy ones finished before any timeout fired" a causal check, not a timing one.
    t = await app({ delivery_timeout_seconds: 3, retry_max_attempts: 1 });
    const hostile = [
      receiver.url('/hang'),
      `http://127.0.0.1:${silentPort}/`,
      receiver.url('/drip'),
      receiver.url('/reset-mid'),
      `http://127.0.0.1:${closesBeforeHeadersPort}/`,
      receiver.url('/302'),
      receiver.url('/500'),
      receiver.url('/huge'),
      `https://localhost:${httpsPort}/`,
    ];
    for (const url of hostile) await t.subscriptions.create({ url, event_types: ['storm'] });
    const healthy = await t.subscriptions.create({ url: receiver.url('/healthy'), event_types: ['storm', 'calm'] });
    // Hostile traffic first, then healthy traffic while the hostile sends are in flight.
    for (let i = 0; i < 5; i++) await t.delivery.dispatch({ event_type: 'storm', payload: { i } });
    await waitFor(() => receiver.received('/hang').length > 0, 'the hanging sends to start');
    const calm: string[] = [];
    for (let i = 0; i < 20; i++) calm.push((await t.delivery.dispatch({ event_type: 'calm', payload: { i } })).event_id);
    await waitFor(async () => (await t!.deliveries.getAttempts({ subscription_id: healthy.subscription_id, status: 'delivered' })).length === 25, 'all healthy deliveries');
    const timeoutIndex = t.outcomes.findIndex((o) => 'attempt' in o && o.attempt.error_message?.startsWith('timeout after'));
    const lastHealthyIndex = t.outcomes.reduce((last, o, i) => ('attempt' in o && o.attempt.subscription_id === healthy.subscription_id ? i : last), -1);
    // Every healthy delivery was logged before the first hostile send even timed out.
    expect(timeoutIndex === -1 || lastHealthyIndex < timeoutIndex).toBe(true);
    await waitFor(() => t!.outcomes.filter((o) => o.type === 'dead_lettered').length === hostile.length * 5, 'every hostile delivery to be dead-lettered', 20_000);
  });
});
