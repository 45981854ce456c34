import type { Dispatcher } from 'undici';

/** The `code` of the error raised when the whole-exchange timeout fires. */
export const WEBHOOK_TIMEOUT_CODE = 'ERR_WEBHOOK_TIMEOUT';

/** Request targets remembered per {@link UndiciExchange} before the memo starts over. */
const MAX_CACHED_TARGETS = 10_000;

/** One request for {@link UndiciExchange.run}. */
export interface ExchangeRequest {
  /** Absolute URL. */
  url: string;
  /** Upper case. */
  method: Dispatcher.HttpMethod;
  /** Sent as they are, names in the case given (undici adds `host`, `content-length` and `connection`). */
  headers: Record<string, string>;
  body?: Dispatcher.DispatchOptions['body'];
  /** Applied to the whole exchange: connect, headers and body. 0 = none. */
  timeoutMs: number;
  /** Aborts the exchange; the error thrown is then `signal.reason` when it is an Error. */
  signal?: AbortSignal;
}

/** The answer to an {@link UndiciExchange.run}. */
export interface ExchangeResponse {
  status: number;
  /** As undici parses them: lower-case names, a repeated header as an array. */
  headers: Record<string, string | string[] | undefined>;
  /** The body (up to the read bound), decoded as UTF-8. */
  text: string;
  /** Whether the body was cut at the read bound. */
  truncated: boolean;
}

interface Target {
  origin: string;
  path: string;
}

/**
 * HTTP exchanges through one undici dispatcher: redirects never followed, the response body read up to
 * `maxResponseBytes` and the rest discarded (the connection is dropped instead of downloading it), and the timeout
 * applied to the whole exchange, so a receiver that drips bytes still times out (the error then has code
 * {@link WEBHOOK_TIMEOUT_CODE} and message `timeout after 30s`). Used directly by `UndiciTransport` and under axios
 * by the adapter of `HttpServiceTransport`, so both read and time out the same way.
 *
 * Each exchange is one `dispatch()` with an {@link Exchange} as its handler, not `request()`: the answer is
 * collected as it arrives, without the response stream, its async iterator and the async resource `request()`
 * makes per call (in paired CPU profiles of the bench's memory store, the time in undici and in streams per
 * delivery fell by about a fifth).
 */
export class UndiciExchange {
  /** Parsed targets by URL string: deliveries go to the same few URLs over and over. Owned here, not by the module. */
  private readonly targets = new Map<string, Target>();

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly maxResponseBytes: number,
  ) {}

  /** Runs one exchange. Rejects with undici's error, the timeout error, or the abort reason. */
  run(req: ExchangeRequest): Promise<ExchangeResponse> {
    const target = this.target(req.url);
    return new Promise<ExchangeResponse>((resolve, reject) => {
      const exchange = new Exchange(this.maxResponseBytes, req.signal, req.timeoutMs, resolve, reject);
      if (exchange.settled) return;
      try {
        this.dispatcher.dispatch({ origin: target.origin, path: target.path, method: req.method, headers: req.headers, body: req.body }, exchange);
      } catch (err) {
        exchange.onError(err as Error);
      }
    });
  }

  private target(url: string): Target {
    let target = this.targets.get(url);
    if (target === undefined) {
      const parsed = new URL(url);
      target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
      if (this.targets.size >= MAX_CACHED_TARGETS) this.targets.clear();
      this.targets.set(url, target);
    }
    return target;
  }
}

/**
 * One exchange, as undici's dispatch handler (the `onConnect` ... `onComplete` / `onError` callbacks): keeps the
 * status and headers, collects the body up to the bound, and settles once. Follows the outer AbortSignal (through
 * the signal's one shared listener, see {@link followSignal}) and the whole-exchange timeout, without a closure per
 * request; either aborts the request through the `abort` undici gave `onConnect` (at once if it came before).
 */
class Exchange {
  settled = false;
  private abortRequest: ((reason: Error) => void) | null = null;
  private reason: Error | null = null;
  private timer: NodeJS.Timeout | null = null;
  private status = 0;
  private rawHeaders: Buffer[] = NO_HEADERS;
  private readonly chunks: Buffer[] = [];
  private size = 0;
  /** Its place among the exchanges following the same outer signal (see {@link followSignal}). */
  following: Following | null = null;
  prevFollower: Exchange | null = null;
  nextFollower: Exchange | null = null;

  constructor(
    private readonly maxBytes: number,
    private readonly outer: AbortSignal | undefined,
    timeoutMs: number,
    private readonly resolve: (res: ExchangeResponse) => void,
    private readonly reject: (err: unknown) => void,
  ) {
    if (outer?.aborted) {
      this.fail(outer.reason instanceof Error ? outer.reason : new Error('aborted'));
      return;
    }
    if (outer) followSignal(outer, this);
    if (timeoutMs > 0) this.timer = setTimeout(timedOut, timeoutMs, this, timeoutMs);
  }

  /** The outer signal fired. */
  signalAborted(): void {
    const reason: unknown = this.outer?.reason;
    this.abort(reason instanceof Error ? reason : new Error('aborted'));
  }

  /** Ends the exchange with `reason` (the request is aborted, the connection dropped). */
  abort(reason: Error): void {
    if (this.settled || this.reason) return;
    this.reason = reason;
    if (this.abortRequest) this.abortRequest(reason);
  }

  onConnect(abort: (reason: Error) => void): void {
    if (this.reason) return abort(this.reason);
    this.abortRequest = abort;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], _resume: () => void, _statusText: string): boolean {
    if (statusCode < 200) return true;
    this.status = statusCode;
    this.rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.settled) return true;
    if (this.size + chunk.length > this.maxBytes) {
      this.chunks.push(chunk.subarray(0, this.maxBytes - this.size));
      this.size = this.maxBytes;
      this.succeed(true);
      // Stop reading: aborting drops the connection instead of downloading the rest (the error is ignored).
      this.abortRequest?.(new Error('response body over max_response_bytes'));
      return true;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    return true;
  }

  onComplete(): void {
    this.succeed(false);
  }

  onError(err: Error): void {
    this.fail(this.reason ?? err);
  }

  private succeed(truncated: boolean): void {
    if (this.settled) return;
    this.end();
    const { chunks } = this;
    const text = chunks.length === 0 ? '' : chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, this.size).toString('utf8');
    this.resolve(new ExchangeAnswer(this.status, this.rawHeaders, text, truncated));
  }

  private fail(err: Error): void {
    if (this.settled) return;
    this.end();
    this.reject(err);
  }

  private end(): void {
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.following) unfollow(this);
  }
}

/**
 * The exchanges in flight per outer signal, as a list threaded through them. A signal gets one `abort` listener for
 * all of them, however many come and go: every send of the engine shares its shutdown signal, and adding and removing
 * an EventTarget listener per send cost about 2 µs of a memory-store delivery (CPU profile of the bench). Weak: a
 * signal dropped by its owner takes its list with it.
 *
 * A list, not a `Set`: a long-lived Set whose entries come and go rebuilds its table, and once a table is in the old
 * generation each rebuilt one stays reachable from it, with what it holds, until the next full collection. With a
 * Set here, every exchange's request, timer and response headers outlived young-generation collections and were
 * promoted (a heap profile of what outlives a scavenge, memory store: 238 MB against 113 MB). An exchange that
 * leaves the list clears its own links, so no finished exchange keeps another alive.
 */
class Following {
  first: Exchange | null = null;
}

const followers = new WeakMap<object, Following>();

function followSignal(signal: AbortSignal, exchange: Exchange): void {
  let list = followers.get(signal);
  if (list === undefined) {
    // Duck-typed: under axios the signal may be any GenericAbortSignal an interceptor put in the config.
    if (typeof signal.addEventListener !== 'function') return;
    const following = (list = new Following());
    followers.set(signal, following);
    signal.addEventListener('abort', () => {
      followers.delete(signal);
      // Each abort unlinks its exchange: take them all first.
      const all: Exchange[] = [];
      for (let e = following.first; e !== null; e = e.nextFollower) all.push(e);
      for (const e of all) e.signalAborted();
    }, { once: true });
  }
  const first = list.first;
  exchange.following = list;
  exchange.nextFollower = first;
  if (first !== null) first.prevFollower = exchange;
  list.first = exchange;
}

function unfollow(exchange: Exchange): void {
  const { following, prevFollower: prev, nextFollower: next } = exchange;
  if (prev !== null) prev.nextFollower = next;
  else if (following !== null) following.first = next;
  if (next !== null) next.prevFollower = prev;
  exchange.following = exchange.prevFollower = exchange.nextFollower = null;
}

const NO_HEADERS: Buffer[] = [];

/** An {@link ExchangeResponse} whose headers are parsed when first read (a delivery reads them only on a 3xx, 429 or 503). */
class ExchangeAnswer implements ExchangeResponse {
  private parsed: Record<string, string | string[] | undefined> | null = null;

  constructor(
    readonly status: number,
    private readonly raw: Buffer[],
    readonly text: string,
    readonly truncated: boolean,
  ) {}

  get headers(): Record<string, string | string[] | undefined> {
    return (this.parsed ??= parseRawHeaders(this.raw));
  }
}

function timedOut(exchange: Exchange, timeoutMs: number): void {
  const err = new Error(`timeout after ${formatSeconds(timeoutMs)}`) as Error & { code: string };
  err.code = WEBHOOK_TIMEOUT_CODE;
  exchange.abort(err);
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

/**
 * Raw header pairs as `request()` gives them: lower-case names, values decoded as latin1, a repeated header as an
 * array of its values. The object has no prototype, so names such as `__proto__` or `constructor` from a receiver
 * are plain entries.
 */
function parseRawHeaders(raw: Buffer[]): Record<string, string | string[] | undefined> {
  const headers = Object.create(null) as Record<string, string | string[] | undefined>;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i].toString('latin1').toLowerCase();
    const value = raw[i + 1].toString('latin1');
    const seen = headers[name];
    if (seen === undefined) headers[name] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else headers[name] = [seen, value];
  }
  return headers;
}
