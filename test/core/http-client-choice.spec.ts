import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import axios from 'axios';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolveWebhookConfig } from '../../lib/config/webhook-config';
import { HttpServiceTransport, UndiciTransport, createWebhookTransport, type WebhookTransportSetup } from '../../lib/delivery/http';
import { WebhookError } from '../../lib/domain/webhook.error';

/**
 * `http_client` picks one HTTP path: with `'http-service'` the app's axios interceptors change what the receiver
 * sees; with `'undici'` registering one throws, so nobody believes it applies. `close()` leaves nothing open (this
 * suite, like the others, must let jest exit on its own).
 */
describe('http_client: one explicit HTTP path', () => {
  const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(req.url?.startsWith('/gone') ? 410 : 200).end('ok');
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  let base = '';
  const setups: WebhookTransportSetup[] = [];
  const setup = (http_client: 'undici' | 'http-service') => {
    const s = createWebhookTransport(resolveWebhookConfig({ allow_private_urls: true, delivery_timeout_seconds: 2, http_client }));
    setups.push(s);
    return s;
  };
  const headers = { 'content-type': 'application/json', 'user-agent': 'nestjs-webhooks' };
  const body = '{"n":1}';

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await Promise.all(setups.map((s) => s.transport.close()));
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("defaults to 'undici'; 'http-service' returns the HttpService deliveries go through", () => {
    expect(resolveWebhookConfig({}).http_client).toBe('undici');
    expect(setup('undici').transport).toBeInstanceOf(UndiciTransport);
    const viaHttp = setup('http-service');
    expect(viaHttp.transport).toBeInstanceOf(HttpServiceTransport);
    expect(viaHttp.http).toBe((viaHttp.transport as HttpServiceTransport).http);
  });

  it("with 'http-service', a request interceptor changes what the receiver sees; ejecting it stops that", async () => {
    const { transport, http } = setup('http-service');
    const id = http.axiosRef.interceptors.request.use((config) => {
      config.headers.set('X-Intercepted', 'yes');
      config.params = { via: 'interceptor' };
      return config;
    });
    expect(await transport.send(`${base}/hook`, headers, body)).toMatchObject({ ok: true, status_code: 200 });
    expect(seen.at(-1)).toMatchObject({ url: '/hook?via=interceptor', headers: { 'x-intercepted': 'yes', 'content-type': 'application/json' } });

    http.axiosRef.interceptors.request.eject(id);
    await transport.send(`${base}/hook`, headers, body);
    expect(seen.at(-1)!.url).toBe('/hook');
    expect(seen.at(-1)!.headers['x-intercepted']).toBeUndefined();
  });

  it("with 'http-service', a response interceptor sees the answer, and a throwing interceptor is a failed send, not a throw", async () => {
    const { transport, http } = setup('http-service');
    const statuses: number[] = [];
    http.axiosRef.interceptors.response.use((res) => {
      statuses.push(res.status);
      return res;
    });
    expect(await transport.send(`${base}/gone`, headers, body)).toMatchObject({ ok: false, status_code: 410, gone: true });
    expect(statuses).toEqual([410]);

    http.axiosRef.interceptors.request.use(() => {
      throw new Error('token service down');
    });
    const before = seen.length;
    expect(await transport.send(`${base}/hook`, headers, body)).toMatchObject({ ok: false, status_code: null, error_message: 'token service down' });
    expect(seen.length).toBe(before);
  });

  it("with 'undici', registering an interceptor throws a WebhookError that says to set http_client", () => {
    const { http } = setup('undici');
    const registrations = [() => http.axiosRef.interceptors.request.use((c) => c), () => http.axiosRef.interceptors.response.use((r) => r)];
    for (const register of registrations) {
      let thrown: unknown;
      try {
        register();
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(WebhookError);
      expect((thrown as WebhookError).message).toMatch(/set http_client: 'http-service'/);
    }
  });

  it("with 'undici', the stand-in HttpService sends nothing, and no other axios instance is affected", async () => {
    const { http } = setup('undici');
    const before = seen.length;
    await expect(http.axiosRef.post(`${base}/hook`, body)).rejects.toBeInstanceOf(WebhookError);
    expect(seen.length).toBe(before);
    // No global state: the global axios and an 'http-service' HttpService still take interceptors.
    axios.interceptors.request.eject(axios.interceptors.request.use((c) => c));
    const other = setup('http-service').http;
    other.axiosRef.interceptors.request.eject(other.axiosRef.interceptors.request.use((c) => c));
  });

  it('after close(), a send fails with a result instead of throwing; closing twice is fine', async () => {
    for (const kind of ['undici', 'http-service'] as const) {
      const { transport } = setup(kind);
      expect(await transport.send(`${base}/hook`, headers, body)).toMatchObject({ ok: true });
      await transport.close();
      await transport.close();
      const after = await transport.send(`${base}/hook`, headers, body);
      expect(after).toMatchObject({ ok: false, status_code: null });
      expect(after.error_message).toMatch(/destroyed/i);
    }
  });
});
