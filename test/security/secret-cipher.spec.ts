import { describe, expect, it } from '@jest/globals';
import { createHash, randomBytes } from 'node:crypto';
import { InvalidWebhookConfigError, SecretDecryptionError } from '../../lib/domain/webhook.error';
import { SecretCipher, secretKeyId } from '../../lib/security/secret-cipher';

const newKey = () => randomBytes(32).toString('base64');
const idOf = (key: string) => secretKeyId(Buffer.from(key, 'base64'));
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const CONTEXT = 'secret of subscription sub-1';

/** The error `fn` throws (fails the test when it throws none). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('SecretCipher', () => {
  it('round-trips a value: sealed with the first key, in the enc:v1:<key id>: format, holding nothing of the plaintext', () => {
    const key = newKey();
    const cipher = new SecretCipher([key, newKey()]);
    const sealed = cipher.seal(SECRET, CONTEXT);
    expect(sealed).toMatch(new RegExp(`^enc:v1:${idOf(key)}:[A-Za-z0-9+/]+=*$`));
    expect(sealed).not.toContain(SECRET.slice(6, 20));
    expect(cipher.open(sealed, CONTEXT)).toBe(SECRET);
    expect(cipher.isCurrent(sealed)).toBe(true);
    // a fresh nonce each time: the same plaintext never gives the same value
    expect(cipher.seal(SECRET, CONTEXT)).not.toBe(sealed);
  });

  it('round-trips any text (headers JSON with non-ASCII, an empty string, a 64-byte ed25519-sized secret)', () => {
    const cipher = new SecretCipher([newKey()]);
    for (const text of ['', JSON.stringify({ 'X-Api-Key': 'k€y ✓', Authorization: 'Bearer abc' }), `whsk_${randomBytes(64).toString('base64')}`]) {
      expect(cipher.open(cipher.seal(text, CONTEXT), CONTEXT)).toBe(text);
    }
  });

  it('a sealed 64-byte secret fits the 255-character secret column', () => {
    const cipher = new SecretCipher([newKey()]);
    expect(cipher.seal(`whsec_${randomBytes(64).toString('base64')}`, CONTEXT).length).toBeLessThanOrEqual(255);
    expect(cipher.seal(`whsk_${randomBytes(64).toString('base64')}`, CONTEXT).length).toBeLessThanOrEqual(255);
  });

  it('reads with any key of the list, picked by the key id in the value', () => {
    const [oldKey, newerKey] = [newKey(), newKey()];
    const sealedWithOld = new SecretCipher([oldKey]).seal(SECRET, CONTEXT);
    const rotated = new SecretCipher([newerKey, newKey(), oldKey]);
    expect(rotated.open(sealedWithOld, CONTEXT)).toBe(SECRET);
    expect(rotated.isCurrent(sealedWithOld)).toBe(false);
    expect(rotated.isCurrent(rotated.seal(SECRET, CONTEXT))).toBe(true);
  });

  it('passes plaintext through (rows written before encryption was turned on), with or without keys', () => {
    expect(new SecretCipher([newKey()]).open(SECRET, CONTEXT)).toBe(SECRET);
    const none = new SecretCipher([]);
    expect(none.enabled).toBe(false);
    expect(none.currentKeyId).toBeNull();
    expect(none.seal(SECRET, CONTEXT)).toBe(SECRET);
    expect(none.open(SECRET, CONTEXT)).toBe(SECRET);
    expect(none.isCurrent(SECRET)).toBe(false);
  });

  it('a value sealed with a key not in the list fails naming secret_encryption_keys and the key id, never returning garbage', () => {
    const key = newKey();
    const sealed = new SecretCipher([key]).seal(SECRET, CONTEXT);
    const err = thrown(() => new SecretCipher([newKey()]).open(sealed, CONTEXT));
    expect(err).toBeInstanceOf(SecretDecryptionError);
    expect((err as SecretDecryptionError).code).toBe('SECRET_DECRYPTION_FAILED');
    expect((err as SecretDecryptionError).keyId).toBe(idOf(key));
    expect(err.message).toContain('secret_encryption_keys');
    expect(err.message).toContain(idOf(key));
    expect(err.message).toContain(CONTEXT);
    expect(err.message).not.toContain(sealed.slice(16));
    const withoutKeys = thrown(() => new SecretCipher([]).open(sealed, CONTEXT));
    expect(withoutKeys).toBeInstanceOf(SecretDecryptionError);
    expect(withoutKeys.message).toMatch(/secret_encryption_keys is empty/);
  });

  it('detects tampering: a flipped bit in the nonce, the ciphertext or the tag, and a truncated value', () => {
    const cipher = new SecretCipher([newKey()]);
    const sealed = cipher.seal(SECRET, CONTEXT);
    const prefix = sealed.slice(0, 'enc:v1:12345678:'.length);
    const bytes = Buffer.from(sealed.slice(prefix.length), 'base64');
    for (const at of [0, 12, 40, bytes.length - 1]) {
      const altered = Buffer.from(bytes);
      altered[at] ^= 0x01;
      const err = thrown(() => cipher.open(prefix + altered.toString('base64'), CONTEXT));
      expect(err).toBeInstanceOf(SecretDecryptionError);
      expect(err.message).toMatch(/secret_encryption_keys: the stored value was altered/);
    }
    expect(thrown(() => cipher.open(prefix + bytes.subarray(0, 20).toString('base64'), CONTEXT))).toBeInstanceOf(SecretDecryptionError);
    expect(thrown(() => cipher.open(sealed.slice(0, 12), CONTEXT))).toBeInstanceOf(SecretDecryptionError);
    expect(thrown(() => cipher.open(`${prefix}not base64!`, CONTEXT))).toBeInstanceOf(SecretDecryptionError);
    expect(thrown(() => cipher.open('enc:v9:whatever', CONTEXT)).message).toMatch(/format this version does not read \(enc:v9\)/);
  });

  it('binds a value to its context: copied to another row or field, it does not decrypt', () => {
    const cipher = new SecretCipher([newKey()]);
    const sealed = cipher.seal(SECRET, CONTEXT);
    expect(thrown(() => cipher.open(sealed, 'secret of subscription sub-2'))).toBeInstanceOf(SecretDecryptionError);
    expect(thrown(() => cipher.open(sealed, 'previous_secret of subscription sub-1'))).toBeInstanceOf(SecretDecryptionError);
  });

  it('tries every key sharing an id: the tag tells which one sealed the value', () => {
    const [a, b] = [newKey(), newKey()];
    const cipher = new SecretCipher([a, b]);
    // Force a collision of ids (astronomically rare with real keys) by giving both keys a's id.
    (cipher as unknown as { keys: Array<{ id: string }> }).keys[1].id = idOf(a);
    const sealedWithB = new SecretCipher([b]).seal(SECRET, CONTEXT).replace(idOf(b), idOf(a));
    expect(cipher.open(sealedWithB, CONTEXT)).toBe(SECRET);
  });

  it('the key id is the first 8 hex digits of the key SHA-256', () => {
    const key = newKey();
    expect(idOf(key)).toBe(createHash('sha256').update(Buffer.from(key, 'base64')).digest('hex').slice(0, 8));
    expect(new SecretCipher([key]).currentKeyId).toBe(idOf(key));
  });

  it('refuses a key that is not 32 bytes, naming secret_encryption_keys', () => {
    const err = thrown(() => new SecretCipher([randomBytes(16).toString('base64')]));
    expect(err).toBeInstanceOf(InvalidWebhookConfigError);
    expect(err.message).toContain('secret_encryption_keys');
  });
});
