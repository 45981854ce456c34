import { WebhookVerificationError } from '../domain/webhook.error';
import { constantTimeEqual, signBodyHmac, signStandardWebhooks } from './signature';
import { standardWebhooksKey } from './secret';

/** Default accepted clock difference between sender and receiver, seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** Options of {@link verifyWebhook}. Header names default to the Standard Webhooks ones. */
export interface VerifyWebhookOptions {
  /** Max age (and max clock skew into the future) of the timestamp, seconds. Default 300. */
  tolerance_seconds?: number;
  /** Default `'standard-webhooks'`. */
  signature_scheme?: 'standard-webhooks' | 'body-hmac';
  /** body-hmac only: default `'sha256'`. */
  signature_algorithm?: 'sha256' | 'sha512';
  signature_header?: string;
  event_id_header?: string;
  timestamp_header?: string;
  /** The current time, for tests. */
  now?: Date;
}

type HeaderBag = Record<string, string | string[] | undefined> | Headers | Map<string, string>;

/**
 * Verifies a received webhook: the raw body exactly as received (string or Buffer), the request headers (as
 * Node gives them, or a fetch `Headers`), and one secret or several (during a rotation). Returns true or throws
 * {@link WebhookVerificationError} saying what is wrong. Signatures are compared in constant time; for the
 * Standard Webhooks scheme, timestamps outside `tolerance_seconds` are refused (replay protection).
 */
export function verifyWebhook(payload: string | Buffer, headers: HeaderBag, secret: string | readonly string[], options: VerifyWebhookOptions = {}): true {
  const secrets = (Array.isArray(secret) ? secret : [secret]) as string[];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new WebhookVerificationError('no secret given: pass the subscription secret (or an array of secrets)');
  }
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) {
    throw new WebhookVerificationError('payload must be the raw request body as a string or Buffer, not parsed JSON');
  }
  const body = typeof payload === 'string' ? payload : payload.toString('utf8');
  const signatureHeader = options.signature_header ?? 'webhook-signature';
  const signature = header(headers, signatureHeader);
  if (!signature) throw new WebhookVerificationError(`missing ${signatureHeader} header`);

  if ((options.signature_scheme ?? 'standard-webhooks') === 'body-hmac') {
    const algorithm = options.signature_algorithm ?? 'sha256';
    const candidates = signature.split(/[\s,]+/).filter(Boolean);
    for (const s of secrets) {
      const expected = signBodyHmac(s, body, algorithm);
      if (candidates.some((c) => constantTimeEqual(c, expected))) return true;
    }
    throw new WebhookVerificationError(`no ${algorithm}= signature in ${signatureHeader} matches the secret`);
  }

  const idHeader = options.event_id_header ?? 'webhook-id';
  const tsHeader = options.timestamp_header ?? 'webhook-timestamp';
  const msgId = header(headers, idHeader);
  const ts = header(headers, tsHeader);
  if (!msgId) throw new WebhookVerificationError(`missing ${idHeader} header`);
  if (!ts) throw new WebhookVerificationError(`missing ${tsHeader} header`);
  if (!/^\d{1,12}$/.test(ts)) throw new WebhookVerificationError(`${tsHeader} must be unix seconds (got ${JSON.stringify(ts.slice(0, 40))})`);
  const timestamp = Number(ts);
  const tolerance = options.tolerance_seconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (timestamp < nowSeconds - tolerance) throw new WebhookVerificationError(`timestamp too old (${nowSeconds - timestamp}s > ${tolerance}s tolerance): possible replay`);
  if (timestamp > nowSeconds + tolerance) throw new WebhookVerificationError(`timestamp too far in the future (${timestamp - nowSeconds}s > ${tolerance}s tolerance): check the clocks`);

  const given = signature
    .split(' ')
    .filter((v) => v.startsWith('v1,'))
    .map((v) => v.trim());
  if (given.length === 0) throw new WebhookVerificationError(`${signatureHeader} holds no v1 signature`);
  for (const s of secrets) {
    const expected = signStandardWebhooks(standardWebhooksKey(s), msgId, timestamp, body);
    if (given.some((g) => constantTimeEqual(g, expected))) return true;
  }
  throw new WebhookVerificationError('no signature matches: wrong secret, or the body was changed (verify the raw body, not re-serialized JSON)');
}

function header(headers: HeaderBag, name: string): string | undefined {
  let value: string | string[] | null | undefined;
  if (typeof (headers as Headers).get === 'function') {
    value = (headers as Headers).get(name) ?? (headers as Headers).get(name.toLowerCase());
  } else {
    const bag = headers as Record<string, string | string[] | undefined>;
    value = bag[name] ?? bag[name.toLowerCase()];
    if (value === undefined) {
      const lower = name.toLowerCase();
      const found = Object.keys(bag).find((k) => k.toLowerCase() === lower);
      value = found === undefined ? undefined : bag[found];
    }
  }
  if (Array.isArray(value)) return value.join(' ');
  return value ?? undefined;
}
