import { createHmac, timingSafeEqual } from 'node:crypto';
import { standardWebhooksKey } from './secret';

/** Content signed by the Standard Webhooks scheme. */
export function standardWebhooksContent(msgId: string, timestampSeconds: number, body: string): string {
  return `${msgId}.${timestampSeconds}.${body}`;
}

/** One Standard Webhooks signature: `v1,<base64 HMAC-SHA256 of id.timestamp.body>`. */
export function signStandardWebhooks(secret: string | Buffer, msgId: string, timestampSeconds: number, body: string): string {
  const key = typeof secret === 'string' ? standardWebhooksKey(secret) : secret;
  return 'v1,' + createHmac('sha256', key).update(standardWebhooksContent(msgId, timestampSeconds, body)).digest('base64');
}

/** GitHub-style body signature `sha256=<hex>` (or `sha512=`), keyed with the secret string's UTF-8 bytes. */
export function signBodyHmac(secret: string, body: string, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}=` + createHmac(algorithm, secret).update(body).digest('hex');
}

/** Compares two strings in constant time for equal lengths (length itself is not secret). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
