import type { KeyObject } from 'node:crypto';
import { PUBLIC_KEY_PREFIX, SIGNING_KEY_PREFIX, ed25519PublicKeyObject } from './ed25519';
import { MIN_SECRET_BYTES, SECRET_PREFIX } from './secret';
import { strictBase64 } from './strict-base64';

/** A verification key, checked and decoded: an HMAC secret checks `v1` signatures, an ed25519 public key `v1a`. */
export type VerificationKey = { kind: 'hmac'; key: Buffer } | { kind: 'ed25519'; key: KeyObject };

/** A key, or why it cannot be one (the key itself is never quoted: it may be a secret). */
export type ParsedKey = { ok: true; key: VerificationKey } | { ok: false; problem: string };

const SECRET_SHAPE = `the base64 of at least ${MIN_SECRET_BYTES} bytes (standard alphabet, with its = padding)`;

/**
 * Reads a key given to `verifyWebhook` for the Standard Webhooks scheme: `whsec_...` (or bare base64, as the
 * official libraries accept) is an HMAC secret of at least 16 bytes; `whpk_...` an ed25519 public key of 32 bytes.
 * A `whsk_` signing key is refused: receivers verify with the public key. A key that is empty, not canonical
 * base64 or too short is refused rather than used, since an empty HMAC key is one anybody can sign with.
 */
export function parseVerificationKey(key: string): ParsedKey {
  if (key.startsWith(SIGNING_KEY_PREFIX)) {
    return { ok: false, problem: 'is a whsk_ key, the signing key that stays with the sender: verify with its whpk_ public key' };
  }
  if (key.startsWith(PUBLIC_KEY_PREFIX)) {
    const publicKey = ed25519PublicKeyObject(key);
    return publicKey ? { ok: true, key: { kind: 'ed25519', key: publicKey } } : { ok: false, problem: 'is malformed: a whpk_ public key is whpk_ followed by the base64 of 32 bytes' };
  }
  const prefixed = key.startsWith(SECRET_PREFIX);
  const bytes = strictBase64(prefixed ? key.slice(SECRET_PREFIX.length) : key);
  if (!bytes || bytes.length < MIN_SECRET_BYTES) {
    const what = prefixed ? 'a whsec_ secret is whsec_ followed by' : 'a secret without a prefix must be';
    return { ok: false, problem: `is malformed: ${what} ${SECRET_SHAPE} (an empty or cut environment variable?)` };
  }
  return { ok: true, key: { kind: 'hmac', key: bytes } };
}

/**
 * What is wrong with a secret given to `verifyWebhook` for the body-hmac scheme (which keys HMAC with the
 * string's UTF-8 bytes), or null: fewer than 16 characters, or an ed25519 key (a `whpk_` key is public, so an
 * HMAC keyed with it proves nothing).
 */
export function bodyHmacKeyProblem(key: string): string | null {
  if (key.startsWith(PUBLIC_KEY_PREFIX) || key.startsWith(SIGNING_KEY_PREFIX)) {
    return `is an ed25519 key (${key.slice(0, 5)}): the body-hmac scheme is HMAC only, verify it with the subscription's whsec_ secret`;
  }
  if (key.length < MIN_SECRET_BYTES) return `is malformed: a body-hmac secret has at least ${MIN_SECRET_BYTES} characters (an empty or cut environment variable?)`;
  return null;
}
