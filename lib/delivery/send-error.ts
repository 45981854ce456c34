import { findSsrfError } from '../security/ssrf';
import { WEBHOOK_TIMEOUT_CODE } from './undici-axios.adapter';

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/;

/**
 * A short, operator-readable reason for a failed send (no stack, no secrets): `connection refused`,
 * `timeout after 30s`, `connection reset by the receiver`, `TLS error: ...`.
 */
export function describeSendError(err: unknown, url: string): string {
  const chain: Array<Error & { code?: string }> = [];
  // Duck-typed, not instanceof: errors from Node internals may come from another realm (jest's VM, workers).
  for (let e: unknown = err; typeof e === 'object' && e !== null && chain.length < 5; e = (e as { cause?: unknown }).cause) chain.push(e as Error & { code?: string });
  const codes = chain.map((e) => e.code).filter(Boolean) as string[];
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
  const parserError = chain.find((e) => e.name === 'HTTPParserError' || e.code?.startsWith('HPE_'));
  if (parserError) return `invalid HTTP response: ${parserError.message}`.slice(0, 300);
  const tls = codes.find((c) => TLS_CODES.test(c));
  if (tls) return `TLS error: ${tls}`;
  if (top?.name === 'AbortError') return 'aborted (shutting down)';
  return top ? `${top.code ? top.code + ': ' : ''}${top.message}`.slice(0, 300) : String(err).slice(0, 300);
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the receiver';
  }
}
