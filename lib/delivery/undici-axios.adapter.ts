import { AxiosHeaders, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import type { Dispatcher } from 'undici';

/** Set on errors raised when the whole-request timeout fires. */
export const WEBHOOK_TIMEOUT_CODE = 'ERR_WEBHOOK_TIMEOUT';

/** What the adapter adds to `response.request`: whether the body was cut at the read bound. */
export interface BoundedRequestInfo {
  truncated: boolean;
}

/** One request for {@link undiciExchange}. */
export interface UndiciExchangeRequest {
  /** Absolute URL. */
  url: string;
  /** Upper case. */
  method: Dispatcher.HttpMethod;
  /** Sent as they are (undici adds `host`, `content-length` and `connection`). */
  headers: Record<string, string | undefined>;
  body?: string | Buffer;
  /** Applied to the whole exchange: connect, headers and body. 0 = none. */
  timeoutMs: number;
  /** Aborts the exchange; the error thrown is then `signal.reason` when it is an Error. */
  signal?: AbortSignal;
  /** Bytes of the response body read; the rest is not downloaded. */
  maxResponseBytes: number;
}

/** The answer to an {@link undiciExchange}. */
export interface UndiciExchangeResponse {
  status: number;
  /** As undici parses them: lower-case names, a repeated header as an array. */
  headers: Record<string, string | string[] | undefined>;
  /** The body (up to `maxResponseBytes`), decoded as UTF-8. */
  text: string;
  /** Whether the body was cut at `maxResponseBytes`. */
  truncated: boolean;
}

/**
 * One HTTP exchange through an undici dispatcher: redirects never followed, the response body read up to
 * `maxResponseBytes` and the rest discarded (the connection is dropped instead of downloading it), and
 * `timeoutMs` applied to the whole exchange, so a receiver that drips bytes still times out (the error then has
 * code {@link WEBHOOK_TIMEOUT_CODE} and message `timeout after 30s`). Used by the axios adapter below and, when
 * no axios interceptor is registered, directly by `WebhookHttpClient`.
 */
export async function undiciExchange(dispatcher: Dispatcher, req: UndiciExchangeRequest): Promise<UndiciExchangeResponse> {
  const target = parseTarget(req.url);
  const abort = new ExchangeAbort(req.signal);
  const timer = req.timeoutMs > 0 ? setTimeout(abortOnTimeout, req.timeoutMs, abort, req.timeoutMs) : null;
  try {
    const res = await dispatcher.request({
      origin: target.origin,
      path: target.path,
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: abort,
    });
    const { text, truncated } = await readBounded(res.body, req.maxResponseBytes);
    return { status: res.statusCode, headers: res.headers, text, truncated };
  } catch (err) {
    throw abort.aborted && abort.reason instanceof Error ? abort.reason : err;
  } finally {
    if (timer) clearTimeout(timer);
    abort.unlink();
  }
}

/**
 * The abort signal of one exchange, in the EventEmitter form undici's `request()` accepts (`aborted`, `reason`,
 * an `abort` event), cheaper than an AbortController per request (in a profile of direct sends, creating one and
 * undici's EventTarget listener on it took about 6% of all samples). Follows an outer AbortSignal as its `abort`
 * listener, without a closure per request.
 */
class ExchangeAbort {
  aborted = false;
  reason: unknown = undefined;
  private listener: (() => void) | null = null;
  private more: Array<() => void> | null = null;

  constructor(private readonly outer: AbortSignal | undefined) {
    if (!outer) return;
    if (outer.aborted) this.abort(outer.reason);
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
    this.outer?.removeEventListener?.('abort', this);
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

/**
 * An axios adapter over {@link undiciExchange}: keep-alive pooling without the default adapter's per-request
 * cost (STACK.md measured about 3x the throughput). `config.timeout` bounds the whole exchange; the response's
 * `request` is a {@link BoundedRequestInfo}.
 */
export function createUndiciAxiosAdapter(dispatcher: Dispatcher, maxResponseBytes: number): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig): Promise<AxiosResponse> => {
    const res = await undiciExchange(dispatcher, {
      url: config.baseURL ? new URL(config.url!, config.baseURL).href : config.url!,
      method: (config.method ?? 'get').toUpperCase() as Dispatcher.HttpMethod,
      headers: flattenHeaders(config.headers),
      body: config.data as string | Buffer | undefined,
      timeoutMs: config.timeout ?? 0,
      signal: config.signal as AbortSignal | undefined,
      maxResponseBytes,
    });
    const info: BoundedRequestInfo = { truncated: res.truncated };
    return {
      data: res.text,
      status: res.status,
      statusText: '',
      headers: AxiosHeaders.from(res.headers as Record<string, string>),
      config,
      request: info,
    };
  };
}

function abortOnTimeout(abort: ExchangeAbort, timeoutMs: number): void {
  const err = new Error(`timeout after ${formatSeconds(timeoutMs)}`) as Error & { code: string };
  err.code = WEBHOOK_TIMEOUT_CODE;
  abort.abort(err);
}

interface Target {
  origin: string;
  path: string;
}

/** Parsed request targets by URL string: deliveries go to the same few URLs over and over. */
const targets = new Map<string, Target>();
const MAX_CACHED_TARGETS = 10_000;

function parseTarget(url: string): Target {
  let target = targets.get(url);
  if (target === undefined) {
    const parsed = new URL(url);
    target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
    if (targets.size >= MAX_CACHED_TARGETS) targets.clear();
    targets.set(url, target);
  }
  return target;
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

function flattenHeaders(headers: InternalAxiosRequestConfig['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  const bag = headers as unknown as { toJSON?: () => Record<string, unknown> } | undefined;
  const json = typeof bag?.toJSON === 'function' ? bag.toJSON() : ((headers ?? {}) as Record<string, unknown>);
  for (const [k, v] of Object.entries(json)) {
    if (v === undefined || v === null || v === false) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${(ms / 1000).toFixed(1)}s`;
}
