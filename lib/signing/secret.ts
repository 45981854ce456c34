import { randomBytes } from 'node:crypto';

/** Prefix of Standard Webhooks secrets. */
export const SECRET_PREFIX = 'whsec_';

/** Fewest key bytes a `whsec_` secret may decode to (and fewest characters of a body-hmac secret). */
export const MIN_SECRET_BYTES = 16;

/**
 * A new signing secret: `whsec_` + base64 of `length_bytes` random bytes (default 32), the format the
 * official Standard Webhooks and Svix libraries accept.
 */
export function generateWebhookSecret(length_bytes = 32): string {
  if (!Number.isInteger(length_bytes) || length_bytes < 16 || length_bytes > 64) {
    throw new RangeError(`length_bytes must be an integer between 16 and 64 (got ${length_bytes})`);
  }
  return SECRET_PREFIX + randomBytes(length_bytes).toString('base64');
}

/** The HMAC key of a Standard Webhooks secret: the bytes after `whsec_`, base64-decoded. */
export function standardWebhooksKey(secret: string): Buffer {
  return Buffer.from(secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret, 'base64');
}
