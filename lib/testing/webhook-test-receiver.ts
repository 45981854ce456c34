import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as {@link WebhookTestReceiver} saw it. */
export interface RecordedWebhookRequest {
  /** The path without the query string. */
  path: string;
  /** The HTTP method (`POST` for deliveries). */
  method: string;
  /** Headers exactly as Node gives them (lower-case names). */
  headers: IncomingHttpHeaders;
  /** The raw body, UTF-8. */
  body: string;
  /** The status the receiver answered. */
  status: number;
}

/** Options of {@link WebhookTestReceiver.start}. */
export interface WebhookTestReceiverOptions {
  /** Largest body recorded; a larger request is answered 413 and recorded with an empty body. Default 1 MiB. */
  max_body_bytes?: number;
}

/**
 * A real HTTP endpoint for an app's tests: a `node:http` server on 127.0.0.1 (a random free port) that records
 * every request and answers 200, or the statuses it is told to. Point a subscription at `url()`, dispatch, and
 * `waitForRequests(n)`. The module refuses private addresses unless the test config sets
 * `allow_private_urls: true`. `close()` ends open connections, so the test runner exits.
 */
export class WebhookTestReceiver {
  /** Every request, oldest first. */
  readonly requests: RecordedWebhookRequest[] = [];
  private readonly failures = new Map<string, number[]>();
  private readonly sockets = new Set<Socket>();
  private readonly waiters = new Set<() => void>();
  /** Rejects each pending `waitForRequests` when the receiver closes (so no timer outlives it). */
  private readonly closers = new Set<() => void>();

  private constructor(
    private readonly server: Server,
    private readonly maxBodyBytes: number,
  ) {
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.handle(req, res));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Starts a receiver on 127.0.0.1 on a free port. */
  static async start(options: WebhookTestReceiverOptions = {}): Promise<WebhookTestReceiver> {
    const receiver = new WebhookTestReceiver(createServer(), options.max_body_bytes ?? 1024 * 1024);
    await new Promise<void>((resolve, reject) => {
      receiver.server.once('error', reject);
      receiver.server.listen(0, '127.0.0.1', () => resolve());
    });
    return receiver;
  }

  /** The port the server listens on. */
  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  /** The URL of `path` on this receiver. Default path `/`. */
  url(path = '/'): string {
    return `http://127.0.0.1:${this.port}${path.startsWith('/') ? path : `/${path}`}`;
  }

  /** The requests to `path`, oldest first. */
  received(path: string): RecordedWebhookRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  /** Answers the next `times` requests to `path` with `status` (default 500), then 200 again. Calls add up. */
  fail(path: string, times = 1, status = 500): this {
    if (!Number.isInteger(times) || times < 1) throw new RangeError(`times must be an integer >= 1 (got ${String(times)})`);
    if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError(`status must be an HTTP status 100-599 (got ${String(status)})`);
    const queue = this.failures.get(path) ?? [];
    for (let i = 0; i < times; i++) queue.push(status);
    this.failures.set(path, queue);
    return this;
  }

  /**
   * Resolves with the requests (to `path`, or to any path) once there are at least `count`; rejects after
   * `timeout_ms` (default 10,000) saying how many came.
   */
  waitForRequests(count: number, options: { path?: string; timeout_ms?: number } = {}): Promise<RecordedWebhookRequest[]> {
    const matching = () => (options.path === undefined ? this.requests : this.received(options.path));
    return new Promise((resolve, reject) => {
      const check = () => {
        if (matching().length < count) return;
        done();
        resolve(matching());
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`waited ${options.timeout_ms ?? 10_000} ms for ${count} request(s)${options.path ? ` to ${options.path}` : ''}, got ${matching().length}`));
      }, options.timeout_ms ?? 10_000);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
        this.closers.delete(closed);
      };
      const closed = () => {
        done();
        reject(new Error(`the test receiver was closed while waiting for ${count} request(s)${options.path ? ` to ${options.path}` : ''}, got ${matching().length}`));
      };
      this.closers.add(closed);
      this.waiters.add(check);
      check();
    });
  }

  /** Stops the server and ends open connections; a `waitForRequests` still waiting rejects. */
  async close(): Promise<void> {
    for (const closed of [...this.closers]) closed();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= this.maxBodyBytes) chunks.push(chunk);
    });
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      const tooLarge = size > this.maxBodyBytes;
      const status = tooLarge ? 413 : (this.failures.get(path)?.shift() ?? 200);
      this.requests.push({ path, method: req.method ?? '', headers: req.headers, body: tooLarge ? '' : Buffer.concat(chunks).toString('utf8'), status });
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `status ${status}`);
      for (const wake of this.waiters) wake();
    });
  }
}
