import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One request as the receiver saw it: raw body, headers exactly as Node gives them. */
export interface ReceivedRequest {
  path: string;
  method: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** What a route does with a request. */
export type Behaviour = (req: IncomingMessage, res: ServerResponse, body: string, n: number) => void;

/**
 * A real `node:http` server on 127.0.0.1 for tests: routes are set per path and can answer, fail, hang, reset
 * or redirect. Records every request. `close()` destroys open sockets so jest exits.
 */
export class TestReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly routes = new Map<string, Behaviour>();
  private readonly counts = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private server!: Server;
  port = 0;

  static async start(): Promise<TestReceiver> {
    const r = new TestReceiver();
    r.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = (req.url ?? '/').split('?')[0];
        r.requests.push({ path, method: req.method ?? '', headers: req.headers, body, at: Date.now() });
        const n = (r.counts.get(path) ?? 0) + 1;
        r.counts.set(path, n);
        const behaviour = r.routes.get(path) ?? ok();
        behaviour(req, res, body, n);
      });
    });
    r.server.keepAliveTimeout = 30_000;
    r.server.on('connection', (s) => {
      r.sockets.add(s);
      s.on('close', () => r.sockets.delete(s));
    });
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', resolve));
    r.port = (r.server.address() as AddressInfo).port;
    return r;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  on(path: string, behaviour: Behaviour): this {
    this.routes.set(path, behaviour);
    return this;
  }

  received(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Answers `status` with `body`. */
export function ok(status = 200, body = 'ok', headers: Record<string, string> = {}): Behaviour {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'text/plain', ...headers });
    res.end(body);
  };
}

/** Fails the first `failures` requests with `status`, then answers 200. */
export function failTimes(failures: number, status = 500): Behaviour {
  return (req, res, body, n) => (n <= failures ? ok(status, `failure ${n}`)(req, res, body, n) : ok(200)(req, res, body, n));
}

/** Never answers (the sender must time out). */
export function hang(): Behaviour {
  return () => undefined;
}

/** Destroys the connection without an answer. */
export function reset(): Behaviour {
  return (req) => req.socket.destroy();
}

/** Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws with `what`). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000, everyMs = 10): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as Exclude<T, false | 0 | '' | null | undefined>;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
