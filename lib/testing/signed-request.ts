import { randomUUID } from 'node:crypto';
import { SIGNING_KEY_PREFIX, signEd25519StandardWebhooks } from '../signing/ed25519';
import { signBodyHmac, signStandardWebhooks } from '../signing/signature';

/** What {@link signedWebhookHeaders} signs and how. */
export interface SignedWebhookRequest {
  /**
   * The sender's key: a `whsec_` secret (HMAC-SHA256) or a `whsk_` ed25519 signing key for Standard Webhooks; for
   * `body-hmac`, the secret string the receiver is configured with.
   */
  secret: string;
  /** The raw body exactly as it will be sent. */
  body: string;
  /** `'standard-webhooks'` (default) or `'body-hmac'` (GitHub-style `sha256=<hex>` over the body). */
  scheme?: 'standard-webhooks' | 'body-hmac';
  /** body-hmac only: `'sha256'` (default) or `'sha512'`. */
  signature_algorithm?: 'sha256' | 'sha512';
  /** The message id. Default: `msg_` and a random UUID. */
  event_id?: string;
  /** Unix seconds. Default: now. Set it in the past to test the receiver's tolerance. */
  timestamp?: number;
  /** Default `webhook-signature`. */
  signature_header?: string;
  /** Default `webhook-id`. */
  event_id_header?: string;
  /** Default `webhook-timestamp`. */
  timestamp_header?: string;
}

/**
 * The signature headers a sender of this package puts on a delivery of `body` (not its `content-type`,
 * `user-agent` or event-type header), for tests of a receiving endpoint
 * (`WebhookReceiverModule`, `verifyWebhook`, or another Standard Webhooks verifier). Standard Webhooks: id,
 * timestamp and `v1,` (HMAC) or `v1a,` (ed25519) signature; body-hmac: the signature header alone.
 */
export function signedWebhookHeaders(request: SignedWebhookRequest): Record<string, string> {
  const signatureHeader = request.signature_header ?? 'webhook-signature';
  if (request.scheme === 'body-hmac') {
    return { [signatureHeader]: signBodyHmac(request.secret, request.body, request.signature_algorithm ?? 'sha256') };
  }
  const id = request.event_id ?? `msg_${randomUUID()}`;
  const timestamp = request.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = request.secret.startsWith(SIGNING_KEY_PREFIX)
    ? signEd25519StandardWebhooks(request.secret, id, timestamp, request.body)
    : signStandardWebhooks(request.secret, id, timestamp, request.body);
  return {
    [request.event_id_header ?? 'webhook-id']: id,
    [request.timestamp_header ?? 'webhook-timestamp']: String(timestamp),
    [signatureHeader]: signature,
  };
}
