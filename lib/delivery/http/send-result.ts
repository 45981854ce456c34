import { findSsrfError } from '../../security/ssrf-refusal';
import { parseRetryAfter } from './retry-after';
import type { SendResult } from './transport';
import { WEBHOOK_TIMEOUT_CODE } from './undici-exchange';

/** Characters of a failing response body (or a redirect's location) kept in `error_message`. */
export const ERROR_BODY_PREVIEW_CHARS = 200;

/** A response as a transport received it. */
export interface HttpAnswer {
  status: number;
  /** Lower-case names (undici's object or axios's `AxiosHeaders`); a repeated header may be an array. */
  headers: Record<string, unknown>;
  /** The body read; not a string when a response interceptor replaced it. */
  text: unknown;
  /** Whether the body was cut at `max_response_bytes`. */
  truncated: boolean;
}

/**
 * The result of a send that got an answer: 2xx is success; a 3xx is a failure naming its location (redirects are
 * not followed); any other status reports the start of the body, a `Retry-After` (429, 503), and 410 as `gone`.
 * An abort that landed before the answer was taken wins, as axios also rejects such an answer: both transports
 * then report the same thing.
 */
export function answerResult(started: number, answer: HttpAnswer, url: string, signal?: AbortSignal): SendResult {
  if (signal?.aborted) return abortedResult(started, signal, url);
  const duration_ms = elapsedMs(started);
  const status = answer.status;
  if (status >= 200 && status < 300) {
    return { ok: true, status_code: status, duration_ms, error_message: null, retry_after_ms: null, gone: false };
  }
  const retryAfter = status === 429 || status === 503 ? parseRetryAfter(headerText(answer.headers['retry-after']), new Date()) : null;
  return {
    ok: false,
    status_code: status,
    duration_ms,
    error_message: describeHttpFailure(status, answer.text, headerText(answer.headers['location']), answer.truncated),
    retry_after_ms: retryAfter,
    gone: status === 410,
  };
}

/** The result of a send that failed without an answer; after an abort, the abort's reason is reported. */
export function errorResult(started: number, err: unknown, url: string, signal?: AbortSignal): SendResult {
  // axios turns every failure after an abort into a CanceledError; the abort's own reason says more.
  if (signal?.aborted) return abortedResult(started, signal, url);
  return failure(started, describeSendError(err, url));
}

/** The result of a send refused or cut short by `signal`. */
export function abortedResult(started: number, signal: AbortSignal, url: string): SendResult {
  const reason: unknown = signal.reason;
  return failure(started, typeof reason === 'object' && reason !== null ? describeSendError(reason, url) : 'aborted (shutting down)');
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

/**
 * A short, operator-readable reason for a failed send (no stack, no secrets): `connection refused`,
 * `timeout after 30s`, `connection reset by the receiver`, `TLS error: ...`.
 */
export function describeSendError(err: unknown, url: string): string {
  const chain: Array<Error & { code?: string }> = [];
  // Duck-typed, not instanceof: errors from Node internals may come from another realm (jest's VM, workers).
  for (let e: unknown = err; typeof e === 'object' && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e as Error & { code?: string });
  // Only string codes: a DOMException's `code` is a number.
  const codes = chain.map((e) => e.code).filter((c): c is string => typeof c === 'string');
  const top = chain[0];
  const has = (c: string) => codes.includes(c);
  if (has(WEBHOOK_TIMEOUT_CODE)) return chain.find((e) => e.code === WEBHOOK_TIMEOUT_CODE)!.message;
  const ssrf = findSsrfError(err);
  if (ssrf) return ssrf.message;
  if (has('ECONNREFUSED')) return 'connection refused';
  if (has('UND_ERR_HEADERS_OVERFLOW')) return 'invalid HTTP response: headers too large';
  if (has('ECONNRESET')) return 'connection reset by the receiver';
  if (has('UND_ERR_SOCKET')) return 'connection closed by the receiver before a complete response';
  if (has('ENOTFOUND') || has('EAI_AGAIN')) return `DNS lookup failed for ${safeHost(url)}`;
  if (has('UND_ERR_CONNECT_TIMEOUT') || has('ETIMEDOUT')) return 'connect timeout';
  if (has('EHOSTUNREACH') || has('ENETUNREACH')) return `host unreachable: ${safeHost(url)}`;
  // undici's HTTPParserError carries an `HPE_*` code only for some parser errors (none for a non-HTTP answer).
  const parserError = chain.find((e) => e.name === 'HTTPParserError' || (typeof e.code === 'string' && e.code.startsWith('HPE_')));
  if (parserError) return `invalid HTTP response: ${parserError.message}`.slice(0, 300);
  const tls = codes.find((c) => TLS_CODES.test(c));
  if (tls) return `TLS error: ${tls}`;
  if (top?.name === 'AbortError') return 'aborted (shutting down)';
  return top ? `${typeof top.code === 'string' ? top.code + ': ' : ''}${top.message}`.slice(0, 300) : String(err).slice(0, 300);
}

function describeHttpFailure(status: number, body: unknown, location: string | undefined, truncated: boolean): string {
  if (status >= 300 && status < 400) return `HTTP ${status}: redirect${location ? ` to ${location.slice(0, ERROR_BODY_PREVIEW_CHARS)}` : ''} not followed`;
  const text = typeof body === 'string' ? body.replace(/\s+/g, ' ').trim() : '';
  if (!text) return `HTTP ${status}`;
  const preview = text.length > ERROR_BODY_PREVIEW_CHARS ? text.slice(0, ERROR_BODY_PREVIEW_CHARS) + '...' : text;
  // A body cut at max_response_bytes before the preview length is still marked as cut.
  return `HTTP ${status}: ${preview}${truncated && text.length <= ERROR_BODY_PREVIEW_CHARS ? '...' : ''}`;
}

/**
 * A response header as one trimmed string (the first, when repeated). axios's `AxiosHeaders` trims spaces and tabs
 * and undici does not always, so trimming here keeps both transports' messages equal.
 */
function headerText(value: unknown): string | undefined {
  const first = Array.isArray(value) ? (value[0] as unknown) : value;
  return first == null ? undefined : String(first).trim();
}

function failure(started: number, error_message: string): SendResult {
  return { ok: false, status_code: null, duration_ms: elapsedMs(started), error_message, retry_after_ms: null, gone: false };
}

function elapsedMs(started: number): number {
  return Math.round(performance.now() - started);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the receiver';
  }
}
