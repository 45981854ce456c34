import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { resolveWebhookConfig, type HttpClientKind } from '../../lib/config/webhook-config';
import { createWebhookTransport, type WebhookTransport } from '../../lib/delivery/http';
import { sleep, waitFor } from '../support/receiver';

/** One connection as the receiver saw it. */
interface Connection {
  socket: Socket;
  openedAt: number;
  /** When the client's FIN arrived (the client closed it); null while open. */
  endedAt: number | null;
  requests: number;
}

/**
 * A receiver may ask for idle connections to be kept for ten minutes (`Keep-Alive: timeout=600`): the sender keeps
 * them at most `keep_alive_max_timeout_seconds`, on both transports. The receivers here never close an idle
 * connection themselves, so a close is the client's.
 */
describe('keep_alive_max_timeout_seconds bounds how long an idle socket to a receiver is kept', () => {
  const KINDS: HttpClientKind[] = ['undici', 'http-service'];
  const connections: Connection[] = [];
  const sockets = new Set<Socket>();
  let transport: WebhookTransport | undefined;

  /** A receiver whose idle-socket timeout (and so its `Keep-Alive: timeout=` hint) is `keepAliveSeconds` (0: none). */
  async function receiver(keepAliveSeconds: number): Promise<{ server: Server; url: string }> {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        connections.find((c) => c.socket === req.socket)!.requests += 1;
        res.end('ok');
      });
    });
    server.keepAliveTimeout = keepAliveSeconds * 1000;
    server.on('connection', (socket: Socket) => {
      const c: Connection = { socket, openedAt: Date.now(), endedAt: null, requests: 0 };
      connections.push(c);
      sockets.add(socket);
      socket.on('end', () => (c.endedAt = Date.now()));
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
  }

  const servers: Server[] = [];
  let hinting: string;
  let silent: string;

  beforeAll(async () => {
    const a = await receiver(600);
    const b = await receiver(0);
    servers.push(a.server, b.server);
    hinting = a.url;
    silent = b.url;
  });
  afterEach(async () => {
    await transport?.close();
    transport = undefined;
    connections.length = 0;
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  });

  /** The `Keep-Alive` header the receiver at `url` answers with. */
  const keepAliveHint = (url: string) =>
    new Promise<string | string[] | undefined>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { connection: 'keep-alive' } }, (res) => {
        res.resume();
        res.on('end', () => {
          req.socket?.destroy();
          resolve(res.headers['keep-alive']);
        });
      });
      req.on('error', reject);
      req.end('{}');
    });

  it('the receivers: one asks for 600 s, the other sends no hint', async () => {
    expect(await keepAliveHint(hinting)).toBe('timeout=600');
    expect(await keepAliveHint(silent)).toBeUndefined();
  });

  for (const kind of KINDS) {
    for (const hint of ['Keep-Alive: timeout=600', 'no Keep-Alive hint']) {
      it(`${kind}, ${hint}: the socket is reused, then closed by the client once idle for the bound (1 s)`, async () => {
        const url = hint === 'no Keep-Alive hint' ? silent : hinting;
        transport = createWebhookTransport(resolveWebhookConfig({ allow_private_urls: true, http_client: kind, keep_alive_max_timeout_seconds: 1 })).transport;
        const headers = { 'content-type': 'application/json' };
        expect((await transport.send(url, headers, '{"n":1}')).ok).toBe(true);
        // A moment for undici to put the socket back in the pool (back to back, the pool would open a second one).
        await sleep(100);
        expect((await transport.send(url, headers, '{"n":2}')).ok).toBe(true);
        const lastSent = Date.now();
        // Kept alive: both requests on one connection.
        expect(connections.map((c) => c.requests)).toEqual([2]);
        const [connection] = connections;
        await waitFor(() => connection.endedAt, 'the client to close the idle socket', 8_000, 50);
        const idleMs = connection.endedAt! - lastSent;
        // 1 s, with room for undici's coarse timers and a loaded machine; the receiver's hint would give 598 s.
        expect(idleMs).toBeGreaterThanOrEqual(500);
        expect(idleMs).toBeLessThan(6_000);
      }, 20_000);
    }
  }
});
