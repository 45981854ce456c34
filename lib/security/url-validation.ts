import { InvalidWebhookURLError } from '../domain/webhook.error';
import { printable } from '../domain/printable';

/** Longest webhook URL accepted by default: browsers, proxies and most stores handle 2048 safely. */
export const DEFAULT_MAX_WEBHOOK_URL_LENGTH = 2048;

/** Options of {@link validateWebhookUrl}. */
export interface ValidateWebhookUrlOptions {
  /** Maximum length in characters (default {@link DEFAULT_MAX_WEBHOOK_URL_LENGTH}). */
  max_length?: number;
}

// Whitespace (including Unicode spaces and line separators), C0 controls, DEL and C1 controls. Checked on the
// raw text because the WHATWG parser silently strips tabs/newlines and surrounding spaces, so a URL that
// "works" could differ from what the customer typed or what a log line shows.
const WHITESPACE_OR_CONTROL = /[\s\u0000-\u001f\u007f-\u009f]/u;

/**
 * Checks the shape of a webhook endpoint URL and returns it parsed. Throws {@link InvalidWebhookURLError}
 * saying what to fix when the value is not a non-empty string of at most `max_length` characters, contains
 * whitespace or control characters, does not parse, is not http/https, carries credentials (`user:pass@`),
 * has no host, or has a `#fragment` (never sent to the server, so almost certainly a mistake).
 *
 * It does not resolve DNS or judge the destination address: that is `checkUrlTarget` (SSRF guard).
 */
export function validateWebhookUrl(url: string, opts: ValidateWebhookUrlOptions = {}): URL {
  const maxLength = opts.max_length ?? DEFAULT_MAX_WEBHOOK_URL_LENGTH;

  if (typeof url !== 'string') {
    throw new InvalidWebhookURLError(printable(url), `must be a string, got ${url === null ? 'null' : typeof url}`);
  }
  if (url.length === 0) throw new InvalidWebhookURLError(url, 'is empty: give the endpoint\'s full http(s) URL');
  if (url.length > maxLength) {
    throw new InvalidWebhookURLError(
      `${url.slice(0, 64)}...`,
      `is ${url.length} characters long; the maximum is ${maxLength}`,
    );
  }
  const bad = WHITESPACE_OR_CONTROL.exec(url);
  if (bad) {
    const codePoint = bad[0].codePointAt(0) ?? 0;
    const shown = `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
    throw new InvalidWebhookURLError(
      url,
      `contains whitespace or a control character (${shown} at position ${bad.index}): remove it or percent-encode it`,
    );
  }

  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidWebhookURLError(url, 'cannot be parsed as an absolute URL such as https://example.com/webhooks');
  }

  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidWebhookURLError(url, `scheme must be http or https, not ${parsed.protocol.replace(/:$/, '')}`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    // The credentials are secrets: the error (logged, returned by the admin API) shows them redacted.
    throw new InvalidWebhookURLError(
      redactCredentials(parsed),
      'must not contain credentials (user:password@): authenticate with the webhook signature instead',
    );
  }
  if (parsed.hostname === '') throw new InvalidWebhookURLError(url, 'has no host');
  // `hash` is '' for a bare trailing '#', so look at the serialization; a parsed URL only has '#' in its fragment.
  if (parsed.href.includes('#')) throw new InvalidWebhookURLError(url, 'has a fragment: remove the #fragment');

  return parsed;
}

/** `scheme://***@host/path...`: the URL with its userinfo replaced, for messages. */
function redactCredentials(parsed: URL): string {
  const copy = new URL(parsed.href);
  copy.username = '';
  copy.password = '';
  return copy.href.replace(/^([a-z][a-z0-9+.-]*:\/\/)/i, '$1***@');
}
