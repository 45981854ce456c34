/**
 * Shapes of the keys a receiver verifies with, checked before use so that a cut environment variable or the
 * wrong key is an error that says so (never quoting the key), not a stream of 401s.
 */

import { bodyHmacKeyProblem, parseVerificationKey } from '../signing/webhook-keys';

/** The signature schemes a receiver verifies. */
export type ReceiverScheme = 'standard-webhooks' | 'body-hmac';

/**
 * What is wrong with one key for `scheme`, or null: the same rules `verifyWebhook` applies (so a key accepted at
 * start-up is never refused per request). Standard Webhooks: `whsec_` + base64 of at least 16 bytes (bare base64
 * too, as the official libraries accept), or `whpk_` + base64 of a 32-byte ed25519 public key; never `whsk_`.
 * body-hmac: a string of at least 16 characters that is not an ed25519 key.
 */
export function receiverKeyProblem(key: unknown, scheme: ReceiverScheme): string | null {
  if (typeof key !== 'string' || key.length === 0) return 'must be a non-empty string';
  if (scheme === 'body-hmac') return bodyHmacKeyProblem(key);
  const parsed = parseVerificationKey(key);
  return parsed.ok ? null : parsed.problem;
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
