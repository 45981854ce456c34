import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { standardWebhooksContent } from './signature';
import { strictBase64 } from './strict-base64';

/** Prefix of an ed25519 signing key (the sender's secret): `whsk_` + base64 of seed (32 bytes) then public key (32). */
export const SIGNING_KEY_PREFIX = 'whsk_';
/** Prefix of an ed25519 public key (what receivers verify with): `whpk_` + base64 of 32 bytes. */
export const PUBLIC_KEY_PREFIX = 'whpk_';

/** An ed25519 key pair in the Standard Webhooks (Svix) text forms. */
export interface Ed25519KeyPair {
  /** `whsk_...`: signs; keep it like any secret. */
  secret: string;
  /** `whpk_...`: verifies; public, give it to receivers. */
  public_key: string;
}

// DER headers of an ed25519 PKCS#8 private key and SPKI public key (RFC 8410): the raw 32 bytes follow them.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A new ed25519 key pair: `{ secret: 'whsk_...', public_key: 'whpk_...' }`. */
export function generateEd25519KeyPair(): Ed25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_PREFIX.length);
  const pub = rawPublicKey(publicKey);
  return { secret: SIGNING_KEY_PREFIX + Buffer.concat([seed, pub]).toString('base64'), public_key: PUBLIC_KEY_PREFIX + pub.toString('base64') };
}

/**
 * The `whpk_` public key of a `whsk_` signing key (its second half). Throws a `TypeError` when `secret` is not a
 * well-formed `whsk_` key (`whsk_` and the base64 of 64 bytes, as {@link generateEd25519KeyPair} makes).
 */
export function ed25519PublicKey(secret: string): string {
  const bytes = signingKeyBytes(secret);
  if (!bytes) throw new TypeError('not an ed25519 signing key: expected whsk_ followed by the base64 of 64 bytes');
  return PUBLIC_KEY_PREFIX + bytes.subarray(32).toString('base64');
}

/**
 * What is wrong with a `whsk_` signing key, or null: it must be the canonical base64 of 64 bytes whose second half
 * is the public key of the first (the seed). Never quotes the key.
 */
export function ed25519SigningKeyProblem(secret: string): string | null {
  const bytes = signingKeyBytes(secret);
  if (!bytes) return 'must be whsk_ followed by the base64 of 64 bytes (seed, then public key)';
  if (!rawPublicKey(createPublicKey(privateKeyFromSeed(bytes.subarray(0, 32)))).equals(bytes.subarray(32))) {
    return 'holds a public key that is not the one of its seed';
  }
  return null;
}

/** The private KeyObject of a `whsk_` signing key (its seed). Throws a `TypeError` when it is malformed. */
export function ed25519PrivateKeyObject(secret: string): KeyObject {
  const bytes = signingKeyBytes(secret);
  if (!bytes) throw new TypeError('not an ed25519 signing key: expected whsk_ followed by the base64 of 64 bytes');
  return privateKeyFromSeed(bytes.subarray(0, 32));
}

/** Public KeyObjects already made, by `whpk_` text: making one costs about as much as a verification. */
const publicKeys = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_SIZE = 1000;

/** The public KeyObject of a `whpk_` key, or null when it is not `whpk_` + the base64 of 32 bytes. */
export function ed25519PublicKeyObject(publicKey: string): KeyObject | null {
  const cached = publicKeys.get(publicKey);
  if (cached) return cached;
  if (!publicKey.startsWith(PUBLIC_KEY_PREFIX)) return null;
  const raw = strictBase64(publicKey.slice(PUBLIC_KEY_PREFIX.length));
  if (!raw || raw.length !== 32) return null;
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
  } catch {
    return null;
  }
  // Public keys, so keeping them is harmless; bounded for receivers that see many senders' keys.
  if (publicKeys.size >= PUBLIC_KEY_CACHE_SIZE) publicKeys.clear();
  publicKeys.set(publicKey, key);
  return key;
}

/** One Standard Webhooks asymmetric signature: `v1a,<base64 ed25519 signature of id.timestamp.body>`. */
export function signEd25519StandardWebhooks(secret: string | KeyObject, msgId: string, timestampSeconds: number, body: string): string {
  const key = typeof secret === 'string' ? ed25519PrivateKeyObject(secret) : secret;
  return 'v1a,' + sign(null, Buffer.from(standardWebhooksContent(msgId, timestampSeconds, body)), key).toString('base64');
}

function signingKeyBytes(secret: string): Buffer | null {
  if (typeof secret !== 'string' || !secret.startsWith(SIGNING_KEY_PREFIX)) return null;
  const bytes = strictBase64(secret.slice(SIGNING_KEY_PREFIX.length));
  return bytes && bytes.length === 64 ? bytes : null;
}

function privateKeyFromSeed(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function rawPublicKey(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' }).subarray(SPKI_PREFIX.length);
}
