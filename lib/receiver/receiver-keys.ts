/**
 * Shapes of the keys a receiver verifies with, checked before use so that a cut environment variable or the
 * wrong key is an error that says so (never quoting the key), not a stream of 401s.
 */

/** The signature schemes a receiver verifies. */
export type ReceiverScheme = 'standard-webhooks' | 'body-hmac';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const MIN_HMAC_BYTES = 16;

/**
 * What is wrong with one key for `scheme`, or null. Standard Webhooks: `whsec_` + base64 of at least 16 bytes
 * (bare base64 too, as the official libraries accept), or `whpk_` + base64 of a 32-byte ed25519 public key.
 * body-hmac: any non-empty string but an ed25519 key (the sender's HMAC key is the secret string itself).
 */
export function receiverKeyProblem(key: unknown, scheme: ReceiverScheme): string | null {
  if (typeof key !== 'string' || key.length === 0) return 'must be a non-empty string';
  if (key.startsWith('whsk_')) return "is a whsk_ signing key, which stays with the sender: verify with the subscription's whpk_ public key";
  if (scheme === 'body-hmac') {
    return key.startsWith('whpk_') ? "is an ed25519 public key (whpk_): the body-hmac scheme is HMAC only, use the subscription's whsec_ secret" : null;
  }
  if (key.startsWith('whpk_')) {
    const raw = key.slice(5);
    return BASE64.test(raw) && Buffer.from(raw, 'base64').length === 32 ? null : 'is not a whpk_ public key: expected whpk_ followed by the base64 of 32 bytes';
  }
  const raw = key.startsWith('whsec_') ? key.slice(6) : key;
  if (!BASE64.test(raw) || Buffer.from(raw, 'base64').length < MIN_HMAC_BYTES) {
    return `is not a Standard Webhooks secret: expected whsec_ followed by the base64 of at least ${MIN_HMAC_BYTES} bytes (an empty or cut environment variable?)`;
  }
  return null;
}

/**
 * Keys given as one string or an array, checked: the list, or what is wrong naming the entry. An empty list is
 * returned as is (the caller decides what no key means).
 */
export function checkReceiverKeys(value: unknown, scheme: ReceiverScheme): { ok: true; keys: string[] } | { ok: false; problem: string } {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) return { ok: false, problem: 'must be a key string or an array of key strings' };
  for (let i = 0; i < list.length; i++) {
    const problem = receiverKeyProblem(list[i], scheme);
    if (problem) return { ok: false, problem: typeof value === 'string' ? `the key ${problem}` : `entry ${i} ${problem}` };
  }
  return { ok: true, keys: [...new Set(list as string[])] };
}
