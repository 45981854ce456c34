import { verify as verifySignature } from 'node:crypto';
import { WebhookVerificationError } from '../domain/webhook.error';
import { strictBase64 } from './strict-base64';
import { constantTimeEqual, signBodyHmac, signStandardWebhooks, standardWebhooksContent } from './signature';
import { bodyHmacKeyProblem, parseVerificationKey, type VerificationKey } from './webhook-keys';

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
  /** Default `webhook-signature`. */
  signature_header?: string;
  /** Default `webhook-id`. */
  event_id_header?: string;
  /** Default `webhook-timestamp`. */
  timestamp_header?: string;
  /** The current time, for tests. */
  now?: Date;
}

/** Request headers as Node gives them (`req.headers`), a fetch `Headers`, or a `Map`; names in any case. */
export type HeaderBag = Record<string, string | string[] | undefined> | Headers | Map<string, string>;

/**
 * Verifies a received webhook: the raw body exactly as received (string or Buffer), the request headers (as
 * Node gives them, or a fetch `Headers`), and one key or several (during a rotation): `whsec_` secrets check
 * `v1` (HMAC-SHA256) signatures, `whpk_` public keys check `v1a` (ed25519) ones, never the other way round.
 * Returns true or throws {@link WebhookVerificationError} saying what is wrong; a malformed key (empty, not
 * base64, too short, or a `whsk_` signing key) throws too, before any signature is looked at. Signatures are
 * compared in constant time; for the Standard Webhooks scheme, timestamps outside `tolerance_seconds` are
 * refused (replay protection).
 */
export function verifyWebhook(payload: string | Buffer, headers: HeaderBag, key: string | readonly string[], options: VerifyWebhookOptions = {}): true {
  const given = (Array.isArray(key) ? key : [key]) as string[];
  if (given.length === 0 || given.some((s) => typeof s !== 'string' || s.length === 0)) {
    throw new WebhookVerificationError('no key given: pass the subscription\'s whsec_ secret or whpk_ public key (or an array of them)');
  }
  const name = (i: number) => (given.length > 1 ? `key [${i}]` : 'the key');
  if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) {
    throw new WebhookVerificationError('payload must be the raw request body as a string or Buffer, not parsed JSON');
  }
  const body = typeof payload === 'string' ? payload : payload.toString('utf8');
  const signatureHeader = options.signature_header ?? 'webhook-signature';

  if ((options.signature_scheme ?? 'standard-webhooks') === 'body-hmac') {
    given.forEach((k, i) => {
      const problem = bodyHmacKeyProblem(k);
      if (problem) throw new WebhookVerificationError(`${name(i)} ${problem}`);
    });
    const signature = header(headers, signatureHeader);
    if (!signature) throw new WebhookVerificationError(`missing ${signatureHeader} header`);
    const algorithm = options.signature_algorithm ?? 'sha256';
    const candidates = signature.split(/[\s,]+/).filter(Boolean);
    for (const s of given) {
      const expected = signBodyHmac(s, body, algorithm);
      if (candidates.some((c) => constantTimeEqual(c, expected))) return true;
    }
    throw new WebhookVerificationError(`no ${algorithm}= signature in ${signatureHeader} matches the secret`);
  }

  const keys = given.map((k, i) => {
    const parsed = parseVerificationKey(k);
    if (!parsed.ok) throw new WebhookVerificationError(`${name(i)} ${parsed.problem}`);
    return parsed.key;
  });
  const signature = header(headers, signatureHeader);
  if (!signature) throw new WebhookVerificationError(`missing ${signatureHeader} header`);
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

  const values = signature
    .split(' ')
    .map((v) => v.trim())
    .filter(Boolean);
  const checked = matchingSignatures(keys, msgId, timestamp, body, values, signatureHeader, true);
  if (!checked.ok) throw new WebhookVerificationError(checked.problem);
  return true;
}

/**
 * The entries of a Standard Webhooks signature header (`values`, split on spaces) that verify the signed content
 * `${msgId}.${timestamp}.${body}`: `v1,` entries with the HMAC secrets among `keys`, `v1a,` entries with the
 * ed25519 public keys, never the other way round; compared in constant time. `first`: stop at the first match.
 * When none matches, `problem` says why (which version is missing, or that none verifies). The headers, the
 * timestamp's tolerance and the keys' shape are the caller's to check first.
 */
export function matchingSignatures(
  keys: readonly VerificationKey[],
  msgId: string,
  timestamp: number,
  body: string,
  values: readonly string[],
  headerName: string,
  first = false,
): { ok: true; matched: string[] } | { ok: false; problem: string } {
  const v1 = values.filter((v) => v.startsWith('v1,'));
  const v1a = values.filter((v) => v.startsWith('v1a,'));
  const secrets = keys.flatMap((k) => (k.kind === 'hmac' ? [k.key] : []));
  const publicKeys = keys.flatMap((k) => (k.kind === 'ed25519' ? [k.key] : []));
  if (!(secrets.length > 0 && v1.length > 0) && !(publicKeys.length > 0 && v1a.length > 0)) {
    return { ok: false, problem: noUsableSignature(headerName, secrets.length > 0, publicKeys.length > 0, v1a.length > 0, v1.length > 0) };
  }
  const matched: string[] = [];
  if (secrets.length > 0) {
    const expected = secrets.map((s) => signStandardWebhooks(s, msgId, timestamp, body));
    for (const g of v1) {
      if (expected.some((e) => constantTimeEqual(g, e))) matched.push(g);
      if (first && matched.length > 0) return { ok: true, matched };
    }
  }
  if (publicKeys.length > 0 && v1a.length > 0) {
    const content = Buffer.from(standardWebhooksContent(msgId, timestamp, body));
    for (const v of v1a) {
      const sig = strictBase64(v.slice(4));
      if (sig !== null && sig.length === 64 && publicKeys.some((publicKey) => verifySignature(null, content, publicKey, sig))) matched.push(v);
      if (first && matched.length > 0) return { ok: true, matched };
    }
  }
  return matched.length > 0 ? { ok: true, matched } : { ok: false, problem: 'no signature matches: wrong key, or the body was changed (verify the raw body, not re-serialized JSON)' };
}

/** Why the header holds nothing the given keys can check: which version is missing, and which key checks what is there. */
function noUsableSignature(headerName: string, hasSecrets: boolean, hasPublicKeys: boolean, hasV1a: boolean, hasV1: boolean): string {
  if (hasSecrets && hasPublicKeys) return `${headerName} holds no v1 or v1a signature`;
  if (hasSecrets) return `${headerName} holds no v1 signature${hasV1a ? ': it is signed with ed25519 (v1a), so verify with the whpk_ public key' : ''}`;
  return `${headerName} holds no v1a signature${hasV1 ? ': it is signed with HMAC (v1), so verify with the whsec_ secret (a whpk_ key checks v1a signatures only)' : ''}`;
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
