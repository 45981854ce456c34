import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { InvalidWebhookConfigError, SecretDecryptionError } from '../domain/webhook.error';

/** What every stored encrypted value starts with (a plaintext secret starts with `whsec_` or `whsk_`). */
export const SEALED_PREFIX = 'enc:';
/** The one format written: `enc:v1:<key id>:<base64 of iv | ciphertext | tag>`. */
const V1 = 'enc:v1:';
const ALGORITHM = 'aes-256-gcm';
/** GCM's recommended nonce size; a fresh random one per value (2^32 values per key stay far from a collision). */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[0-9a-f]{8}$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The id a sealed value carries of the key that sealed it: the first 8 hex digits of the key's SHA-256, so the
 * right key is found without trying each, and the id says nothing about the key.
 */
export function secretKeyId(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}

interface CipherKey {
  id: string;
  key: Buffer;
}

/**
 * Encryption at rest of subscription secrets and header values (`secret_encryption_keys`): AES-256-GCM with the
 * first key, decryption with any of them, chosen by the key id in the value. `context` (which field of which
 * row) is bound to the ciphertext as associated data, so a value copied to another row or field does not
 * decrypt. A value without the `enc:` prefix is plaintext (written before encryption was turned on) and is read
 * as it is. With no keys, values are stored as given and an encrypted one cannot be read.
 *
 * Pure: no I/O, no Nest. A value that cannot be decrypted throws {@link SecretDecryptionError}, never garbage.
 */
export class SecretCipher {
  private readonly keys: readonly CipherKey[];

  /** `keys`: base64 of 32 bytes each (validated with the config; checked again here). */
  constructor(keys: readonly string[]) {
    this.keys = keys.map((text, i) => {
      const key = Buffer.from(text, 'base64');
      if (key.length !== 32) throw new InvalidWebhookConfigError('secret_encryption_keys', `entry ${i} is not the base64 of 32 bytes: make a key with \`openssl rand -base64 32\``);
      return { id: secretKeyId(key), key };
    });
  }

  /** Whether values are encrypted when written (at least one key). */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** Id of the key that encrypts (the first), or null without keys. */
  get currentKeyId(): string | null {
    return this.keys[0]?.id ?? null;
  }

  /** `plaintext` encrypted with the first key for `context`; as given when there are no keys. */
  seal(plaintext: string, context: string): string {
    const current = this.keys[0];
    if (!current) return plaintext;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const sealed = Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return `${V1}${current.id}:${sealed.toString('base64')}`;
  }

  /**
   * The plaintext of a stored value: decrypted when it is sealed, as it is otherwise. Throws
   * {@link SecretDecryptionError} (naming `secret_encryption_keys`) when its key is not in the list, or it was
   * altered, truncated or sealed for another `context`.
   */
  open(stored: string, context: string): string {
    if (!SecretCipher.isSealed(stored)) return stored;
    if (!stored.startsWith(V1)) {
      throw new SecretDecryptionError(`cannot decrypt the ${context}: it is encrypted in a format this version does not read (${stored.split(':', 2).join(':')}); upgrade nestjs-webhooks or check secret_encryption_keys`);
    }
    const keyId = stored.slice(V1.length, V1.length + 8);
    const payload = stored.slice(V1.length + 9);
    if (!KEY_ID.test(keyId) || stored[V1.length + 8] !== ':' || !BASE64.test(payload)) {
      throw new SecretDecryptionError(`cannot decrypt the ${context}: the stored value is not a valid enc:v1 value (altered or truncated); secret_encryption_keys cannot read it`);
    }
    const candidates = this.keys.filter((k) => k.id === keyId);
    if (candidates.length === 0) throw new SecretDecryptionError(this.missingKey(context, keyId), keyId);
    const sealed = Buffer.from(payload, 'base64');
    if (sealed.length < IV_BYTES + TAG_BYTES) {
      throw new SecretDecryptionError(`cannot decrypt the ${context}: the stored value is too short (altered or truncated); secret_encryption_keys cannot read it`, keyId);
    }
    // Two keys of the same id are possible in principle (8 hex digits): the tag tells which one sealed it.
    for (const { key } of candidates) {
      const plaintext = decrypt(key, sealed, context);
      if (plaintext !== null) return plaintext;
    }
    throw new SecretDecryptionError(
      `cannot decrypt the ${context} with key ${keyId} of secret_encryption_keys: the stored value was altered, or copied from another subscription or field`,
      keyId,
    );
  }

  /** Whether `stored` is sealed with the first key (nothing to re-encrypt). */
  isCurrent(stored: string): boolean {
    const current = this.keys[0];
    return current !== undefined && stored.startsWith(`${V1}${current.id}:`);
  }

  /** Whether a stored value is encrypted (else it is plaintext). */
  static isSealed(stored: string): boolean {
    return stored.startsWith(SEALED_PREFIX);
  }

  private missingKey(context: string, keyId: string): string {
    if (this.keys.length === 0) {
      return `cannot decrypt the ${context}: it is encrypted (key ${keyId}) and secret_encryption_keys is empty: set secret_encryption_keys to the keys it was encrypted with`;
    }
    return (
      `cannot decrypt the ${context}: it was encrypted with key ${keyId}, which is not in secret_encryption_keys (key ids ${this.keys.map((k) => k.id).join(', ')}): ` +
      'add that key back to secret_encryption_keys (after the new one) and keep it until reencryptSecrets() has run'
    );
  }
}

/** The plaintext, or null when the tag does not verify with `key` (another key, or altered data). */
function decrypt(key: Buffer, sealed: Buffer, context: string): string | null {
  const iv = sealed.subarray(0, IV_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const decipher = createDecipheriv(ALGORITHM, key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
