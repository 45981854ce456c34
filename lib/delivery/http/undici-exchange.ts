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
 */
export class UndiciExchange {
  /** Parsed targets by URL string: deliveries go to the same few URLs over and over. Owned here, not by the module. */
  private readonly targets = new Map<string, Target>();

  constructor(
    private readonly dispatcher: Dispatcher,
    private readonly maxResponseBytes: number,
  ) {}

  /** Runs one exchange. Rejects with undici's error, the timeout error, or the abort reason. */
  async run(req: ExchangeRequest): Promise<ExchangeResponse> {
    const target = this.target(req.url);
    const abort = new ExchangeAbort(req.signal);
    const timer = req.timeoutMs > 0 ? setTimeout(abortOnTimeout, req.timeoutMs, abort, req.timeoutMs) : null;
    try {
      const res = await this.dispatcher.request({
        origin: target.origin,
        path: target.path,
        method: req.method,
        headers: req.headers,
        body: req.body,
        signal: abort,
      });
      const { text, truncated } = await readBounded(res.body, this.maxResponseBytes);
      return { status: res.statusCode, headers: res.headers, text, truncated };
    } catch (err) {
      throw abort.aborted && abort.reason instanceof Error ? abort.reason : err;
    } finally {
      if (timer) clearTimeout(timer);
      abort.unlink();
    }
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
 * The abort signal of one exchange, in the EventEmitter form undici's `request()` accepts (`aborted`, `reason`,
 * an `abort` event), cheaper than an AbortController per request (in a profile of direct sends, creating one and
 * undici's EventTarget listener on it took about 6% of all samples). Follows an outer AbortSignal as its `abort`
 * listener object, without a closure per request.
 */
class ExchangeAbort {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | null = null;
  private more: Array<() => void> | null = null;

  constructor(private readonly outer: AbortSignal | undefined) {
    if (!outer) return;
    if (outer.aborted) this.abort(outer.reason);
    // Duck-typed: under axios the signal may be any GenericAbortSignal an interceptor put in the config.
    else if (typeof outer.addEventListener === 'function') outer.addEventListener('abort', this, { once: true });
  }

  /** The outer signal's `abort` event. */
  handleEvent(): void {
    this.abort(this.outer?.reason);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.listener;
    const more = this.more;
    this.listener = this.more = null;
    listener?.();
    if (more) for (const l of more) l();
  }

  /** Stops following the outer signal. */
  unlink(): void {
    if (typeof this.outer?.removeEventListener === 'function') this.outer.removeEventListener('abort', this);
  }

  on(_event: 'abort', listener: () => void): this {
    if (this.listener === null) this.listener = listener;
    else (this.more ??= []).push(listener);
    return this;
  }

  once(event: 'abort', listener: () => void): this {
    return this.on(event, listener);
  }

  removeListener(_event: 'abort', listener: () => void): this {
    if (this.listener === listener) this.listener = null;
    else if (this.more) this.more = this.more.filter((l) => l !== listener);
    return this;
  }

  off(event: 'abort', listener: () => void): this {
    return this.removeListener(event, listener);
  }
}

function abortOnTimeout(abort: ExchangeAbort, timeoutMs: number): void {
  const err = new Error(`timeout after ${formatSeconds(timeoutMs)}`) as Error & { code: string };
  err.code = WEBHOOK_TIMEOUT_CODE;
  abort.abort(err);
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}

async function readBounded(body: Dispatcher.ResponseData['body'], max: number): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buf = chunk as Buffer;
    if (size + buf.length > max) {
      chunks.push(buf.subarray(0, max - size));
      size = max;
      // Stop reading: destroying the body drops the connection instead of downloading the rest.
      body.destroy();
      return { text: Buffer.concat(chunks, size).toString('utf8'), truncated: true };
    }
    chunks.push(buf);
    size += buf.length;
  }
  return { text: chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks, size).toString('utf8'), truncated: false };
}
