import type { WebhookReceiverConfig } from './webhook-receiver.options';
import type { WebhookRefusal } from './webhook-refusal';

/** Header values as Node gives them. */
export type ReceivedHeaders = Record<string, string | string[] | undefined>;

/** What the signature headers of a request say, once they are present and well-formed. */
export interface SignedHeaders {
  /** The signature entries (`v1,...`, `v1a,...` or `sha256=...`), in the order sent. */
  signatures: string[];
  /** The message id (`webhook-id`); body-hmac: the id header when sent, else null. */
  event_id: string | null;
  /** The signed timestamp, unix seconds; null with body-hmac. */
  timestamp: number | null;
}

/** Most signature entries read from one header (a sender in a rotation sends two). */
export const MAX_SIGNATURES = 16;

const STANDARD_ENTRY = /^v[0-9a-z]+,[A-Za-z0-9+/=]+$/;
const BODY_HMAC_ENTRY = /^sha(256|512)=[0-9a-fA-F]+$/;

/**
 * Checks the headers a signature needs, before any key is looked at: present, well-formed and, for Standard
 * Webhooks, a timestamp within the tolerance. Pure; `nowSeconds` is the receiver's clock.
 */
export function readSignedHeaders(headers: ReceivedHeaders, config: WebhookReceiverConfig, nowSeconds: number): { ok: true; value: SignedHeaders } | { ok: false; refusal: WebhookRefusal } {
  const refuse = (reason: WebhookRefusal['reason'], message: string) => ({ ok: false as const, refusal: { reason, message } });
  const sigName = config.signature_header;
  const signature = headerValue(headers, sigName);
  if (signature === undefined) return refuse('missing_header', `missing ${sigName} header`);

  if (config.scheme === 'body-hmac') {
    // Our sender puts the previous secret's signature, during a rotation, in `<name>-previous`.
    const previous = headerValue(headers, `${sigName}-previous`);
    const entries = [signature, previous ?? ''].join(' ').split(/[\s,]+/).filter(Boolean);
    if (entries.length > MAX_SIGNATURES) return refuse('malformed_header', `${sigName} holds more than ${MAX_SIGNATURES} signatures`);
    if (!entries.some((e) => BODY_HMAC_ENTRY.test(e))) {
      return refuse('malformed_header', `${sigName} holds no sha256=<hex> signature${signature.split(' ').some((e) => STANDARD_ENTRY.test(e)) ? ": it looks like a Standard Webhooks signature, so set scheme: 'standard-webhooks'" : ''}`);
    }
    return { ok: true, value: { signatures: entries, event_id: headerValue(headers, config.event_id_header) ?? null, timestamp: null } };
  }

  const idName = config.event_id_header;
  const tsName = config.timestamp_header;
  const id = headerValue(headers, idName);
  const ts = headerValue(headers, tsName);
  if (id === undefined) return refuse('missing_header', `missing ${idName} header`);
  if (ts === undefined) return refuse('missing_header', `missing ${tsName} header`);
  if (!/^\d{1,12}$/.test(ts)) return refuse('malformed_header', `${tsName} must be unix seconds (got ${JSON.stringify(ts.slice(0, 40))})`);
  const entries = signature.split(' ').filter(Boolean);
  if (entries.length > MAX_SIGNATURES) return refuse('malformed_header', `${sigName} holds more than ${MAX_SIGNATURES} signatures`);
  if (!entries.some((e) => STANDARD_ENTRY.test(e))) {
    const hint = entries.some((e) => BODY_HMAC_ENTRY.test(e)) ? ": it looks like a GitHub-style body signature, so set scheme: 'body-hmac'" : '';
    return refuse('malformed_header', `${sigName} holds no Standard Webhooks signature (v1,<base64> or v1a,<base64>)${hint}`);
  }
  const timestamp = Number(ts);
  const tolerance = config.tolerance_seconds;
  if (timestamp < nowSeconds - tolerance) return refuse('timestamp_too_old', `${tsName} is ${nowSeconds - timestamp}s old, over the ${tolerance}s tolerance: a replay, or a clock that is behind`);
  if (timestamp > nowSeconds + tolerance) return refuse('timestamp_in_future', `${tsName} is ${timestamp - nowSeconds}s in the future, over the ${tolerance}s tolerance: check the clocks`);
  return { ok: true, value: { signatures: entries.filter((e) => STANDARD_ENTRY.test(e)), event_id: id, timestamp } };
}

/** One header's value (several joined by a space), or undefined when absent or blank. */
export function headerValue(headers: ReceivedHeaders, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  const text = Array.isArray(value) ? value.join(' ') : value;
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}
