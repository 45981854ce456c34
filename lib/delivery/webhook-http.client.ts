import { HttpService } from '@nestjs/axios';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import axios, { AxiosHeaders, type AxiosInstance, type AxiosResponse } from 'axios';
import { firstValueFrom } from 'rxjs';
import { Agent } from 'undici';
import type { WebhookConfig } from '../config/webhook-config';
import { createGuardedConnector } from '../security/ssrf';
import { InjectWebhookConfig } from '../webhook.constants';
import { parseRetryAfter } from './retry-policy';
import { describeSendError } from './send-error';
import { createUndiciAxiosAdapter, undiciExchange, type BoundedRequestInfo } from './undici-axios.adapter';

/** How one HTTP attempt went. */
export interface SendResult {
  /** 2xx. */
  ok: boolean;
  status_code: number | null;
  duration_ms: number;
  /** What went wrong, for the attempt log (`HTTP 503: <start of body>`, `timeout after 30s`, ...). */
  error_message: string | null;
  /** `Retry-After` of a 429 or 503, ms from now. */
  retry_after_ms: number | null;
  /** 410 Gone: the receiver asks to stop sending. */
  gone: boolean;
}

/**
 * Given to every request so `HttpService` does not make a CancelToken per request and cancel it when the
 * observable completes: that builds an error with a stack trace per delivery (measured: the largest single
 * cost of a send). Cancellation goes through the AbortSignal instead.
 */
const NEVER_CANCELLED = new axios.CancelToken(() => undefined);

/** Characters of a failing response body kept in `error_message`. */
export const ERROR_BODY_PREVIEW_CHARS = 200;

/**
 * Sends deliveries through `HttpService` (@nestjs/axios) over an undici keep-alive pool it owns; the pool is
 * closed on shutdown. A 3xx is a failure (redirects are not followed) and only 2xx is success.
 *
 * While no interceptor is registered on `http.axiosRef`, `send()` skips axios and calls the adapter's
 * {@link undiciExchange} itself, with the headers axios would have sent (the instance's default headers, then the
 * request's, lower-cased; `content-type` defaulted as axios does for a POST) and the instance's `timeout`: axios's
 * per-request config merging costs more CPU than the exchange itself. Registering a request or response
 * interceptor routes every send through `HttpService.post()`. Either way the receiver sees the same request and
 * `send()` returns the same result. One difference: the direct path sends the body exactly as given, where axios
 * would trim a JSON-typed body with surrounding whitespace or re-encode one that is not valid JSON (so it would no
 * longer match its signature); a delivery's body is `JSON.stringify` output, which neither applies to.
 */
@Injectable()
export class WebhookHttpClient implements OnApplicationShutdown {
  readonly http: HttpService;
  private readonly axios: AxiosInstance;
  private readonly agent: Agent;
  private readonly maxResponseBytes: number;

  constructor(@InjectWebhookConfig() config: WebhookConfig) {
    const timeoutMs = Math.round(config.delivery_timeout_seconds * 1000);
    this.maxResponseBytes = config.max_response_bytes;
    // The SSRF guard sits in the connector, so the address that is checked is the one connected to.
    this.agent = new Agent({
      keepAliveTimeout: 10_000,
      connect: createGuardedConnector(config, { timeout: timeoutMs }),
    });
    this.axios = axios.create({
      adapter: createUndiciAxiosAdapter(this.agent, config.max_response_bytes),
      maxRedirects: 0,
      validateStatus: () => true,
      responseType: 'text',
      timeout: timeoutMs,
    });
    // @nestjs/axios 12 is ESM and sees axios's ESM typings; the instance is the same object.
    this.http = new HttpService(this.axios as unknown as ConstructorParameters<typeof HttpService>[0]);
  }

  /** POSTs `body` to `url`. Never throws: every failure is described in the result. */
  async send(url: string, headers: Record<string, string>, body: string, signal?: AbortSignal): Promise<SendResult> {
    const started = performance.now();
    // Like axios, which throws a CanceledError before sending.
    if (signal?.aborted) return failure(started, abortedMessage(signal, url));
    let res: Answer;
    try {
      const direct = this.directHeaders(headers);
      res = direct
        ? await undiciExchange(this.agent, {
            url,
            method: 'POST',
            headers: direct,
            body,
            timeoutMs: this.axios.defaults.timeout ?? 0,
            signal,
            maxResponseBytes: this.maxResponseBytes,
          })
        : await this.postThroughAxios(url, headers, body, signal);
    } catch (err) {
      // axios turns every failure after an abort into a CanceledError; both paths report the abort's reason instead.
      return failure(started, signal?.aborted ? abortedMessage(signal, url) : describeSendError(err, url));
    }
    // axios also rejects an answer that arrives after the abort.
    if (signal?.aborted) return failure(started, abortedMessage(signal, url));
    const duration_ms = Math.round(performance.now() - started);
    const status = res.status;
    if (status >= 200 && status < 300) {
      return { ok: true, status_code: status, duration_ms, error_message: null, retry_after_ms: null, gone: false };
    }
    const retryAfter = status === 429 || status === 503 ? parseRetryAfter(headerValue(res.headers['retry-after']), new Date()) : null;
    return {
      ok: false,
      status_code: status,
      duration_ms,
      error_message: describeHttpFailure(status, res.text, headerValue(res.headers['location']) as string | undefined, res.truncated),
      retry_after_ms: retryAfter,
      gone: status === 410,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    // The worker has already drained or aborted its sends; nothing here is worth waiting for.
    await this.agent.destroy().catch(() => undefined);
  }

  /**
   * The headers axios would send with this POST, or undefined when the send must go through axios: an interceptor
   * is registered, or a header is one axios would rewrite (a value with control characters or surrounding
   * whitespace, a non-string value, `false`), which is left to axios itself.
   */
  private directHeaders(headers: Record<string, string>): Record<string, string | undefined> | undefined {
    const { interceptors, defaults } = this.axios;
    if (hasInterceptor(interceptors.request) || hasInterceptor(interceptors.response)) return undefined;
    // Axios.request: common, then method-specific defaults, then the other default headers, then the request's.
    const all = defaults.headers as unknown as Record<string, unknown>;
    const common = all.common;
    const post = all.post;
    if (!isHeaderBucket(common) || !isHeaderBucket(post)) return undefined;
    const out: Record<string, string | undefined> = {};
    if (!addHeaders(out, common as Record<string, unknown> | undefined, 'bucket')) return undefined;
    if (!addHeaders(out, post as Record<string, unknown> | undefined, 'bucket')) return undefined;
    if (!addHeaders(out, all, 'defaults')) return undefined;
    if (!addHeaders(out, headers, 'request')) return undefined;
    // dispatchRequest, for a POST without one.
    if (out['content-type'] === undefined) out['content-type'] = 'application/x-www-form-urlencoded';
    return out;
  }

  private async postThroughAxios(url: string, headers: Record<string, string>, body: string, signal: AbortSignal | undefined): Promise<Answer> {
    const res: AxiosResponse<unknown> = await firstValueFrom(this.http.post<unknown>(url, body, { headers, signal: signal as any, cancelToken: NEVER_CANCELLED as any }));
    return {
      status: res.status,
      headers: res.headers as Answer['headers'],
      text: res.data,
      truncated: (res.request as BoundedRequestInfo | undefined)?.truncated ?? false,
    };
  }
}

/** A response, from either path (`text` is whatever axios's response interceptors left in `data`). */
interface Answer {
  status: number;
  headers: Record<string, unknown>;
  text: unknown;
  truncated: boolean;
}

function failure(started: number, error_message: string): SendResult {
  return { ok: false, status_code: null, duration_ms: Math.round(performance.now() - started), error_message, retry_after_ms: null, gone: false };
}

function abortedMessage(signal: AbortSignal, url: string): string {
  return signal.reason instanceof Error ? describeSendError(signal.reason, url) : 'aborted (shutting down)';
}

let interceptorSeen = false;
const markInterceptor = (): void => {
  interceptorSeen = true;
};

/**
 * Whether an axios InterceptorManager holds a handler. `forEach` (in axios 1.x's JS, not its typings) skips
 * ejected handlers; without it, assume there is one.
 */
function hasInterceptor(manager: unknown): boolean {
  const m = manager as { forEach?: (fn: (handler: unknown) => void) => void } | undefined;
  if (typeof m?.forEach !== 'function') return true;
  interceptorSeen = false;
  m.forEach(markInterceptor);
  return interceptorSeen;
}

/** Names axios treats as per-method default buckets in `defaults.headers` (its methodList, plus `common`). */
const HEADER_BUCKETS = new Set(['common', 'get', 'delete', 'head', 'options', 'post', 'put', 'patch', 'purge', 'link', 'unlink', 'query']);

/** A header value AxiosHeaders keeps as it is: no C0 control (but tab) or DEL, no leading or trailing space or tab. */
// eslint-disable-next-line no-control-regex
const PLAIN_HEADER_VALUE = /^(?:[^\x00-\x20\x7f](?:[^\x00-\x08\x0a-\x1f\x7f]*[^\x00-\x20\x7f])?)?$/;

function isHeaderBucket(value: unknown): boolean {
  if (value == null) return true;
  if (typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null || value instanceof AxiosHeaders;
}

/** Where a set of headers comes from: inside a default bucket, `defaults.headers` itself, or the request. */
type Layer = 'bucket' | 'defaults' | 'request';

/**
 * Adds `from` to `out` as AxiosHeaders would (names compared case-insensitively, a later value replacing an
 * earlier one in its place, null or undefined unsetting it), lower-cased as the adapter sends them. In
 * `defaults.headers` the bucket names hold buckets (skipped here); in a request they are left to axios, which
 * merges them into its buckets. False when axios would have to handle a header.
 */
function addHeaders(out: Record<string, string | undefined>, from: Record<string, unknown> | undefined, layer: Layer): boolean {
  if (from == null) return true;
  for (const name of Object.keys(from)) {
    const value = from[name];
    const key = name.toLowerCase();
    if (layer !== 'bucket' && HEADER_BUCKETS.has(key)) {
      if (layer === 'defaults' && name === key && isHeaderBucket(value)) continue;
      return false;
    }
    if (typeof value === 'string') {
      if (!PLAIN_HEADER_VALUE.test(value)) return false;
    } else if (value != null && typeof value !== 'number' && value !== true) return false;
    // A plain object's `__proto__` setter would drop it.
    if (key === '__proto__') return false;
    out[key] = value == null ? undefined : String(value);
  }
  return true;
}

/** A response header as AxiosHeaders holds it: control characters removed, spaces and tabs trimmed. */
function headerValue(value: unknown): string | string[] | undefined {
  if (typeof value === 'string') return sanitizeHeaderValue(value);
  if (Array.isArray(value)) return value.map((v) => sanitizeHeaderValue(String(v)));
  return value == null ? undefined : sanitizeHeaderValue(String(value));
}

// eslint-disable-next-line no-control-regex
const HEADER_VALUE_CONTROLS = /[\x00-\x08\x0a-\x1f\x7f]+/g;

function sanitizeHeaderValue(value: string): string {
  return value.replace(HEADER_VALUE_CONTROLS, '').replace(/^[\t ]+|[\t ]+$/g, '');
}

function describeHttpFailure(status: number, body: unknown, location: string | undefined, truncated: boolean): string {
  if (status >= 300 && status < 400) return `HTTP ${status}: redirect${location ? ` to ${location.slice(0, 200)}` : ''} not followed`;
  const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').trim() : '';
  if (!text) return `HTTP ${status}`;
  const preview = text.length > ERROR_BODY_PREVIEW_CHARS ? text.slice(0, ERROR_BODY_PREVIEW_CHARS) + '...' : text;
  return `HTTP ${status}: ${preview}${truncated && text.length <= ERROR_BODY_PREVIEW_CHARS ? '...' : ''}`;
}
