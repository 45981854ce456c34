import type { WebhookConfig } from '../config/webhook-config';
import { reservedHeaderNames } from '../domain/custom-headers';
import type { WebhookSubscription } from '../domain/types';
import { signBodyHmac, signStandardWebhooks } from './signature';
import { standardWebhooksKey } from './secret';

/** The secrets a delivery is signed with now: the current one, plus the previous one during its grace period. */
export function activeSecrets(sub: Pick<WebhookSubscription, 'secret' | 'previous_secret' | 'previous_secret_expires_at'>, now: Date): string[] {
  const secrets = [sub.secret];
  if (sub.previous_secret && sub.previous_secret_expires_at && sub.previous_secret_expires_at > now) secrets.push(sub.previous_secret);
  return secrets;
}

type SignerConfig = Pick<
  WebhookConfig,
  'signature_scheme' | 'signature_algorithm' | 'signature_header' | 'event_id_header' | 'timestamp_header' | 'event_type_header' | 'user_agent'
>;

/**
 * Signs deliveries as configured, and adds the subscription's own headers. Secret keys are decoded once per
 * secret string and cached, since every attempt to the same subscription signs with the same keys.
 */
export class WebhookSigner {
  private readonly keys = new Map<string, Buffer>();
  private readonly reserved: ReadonlySet<string>;

  constructor(private readonly config: SignerConfig) {
    this.reserved = reservedHeaderNames(config);
  }

  /**
   * The headers of one attempt: the module's, then the subscription's own (which may replace `user-agent`, never
   * a signature, id, timestamp, event-type or transport header). Standard Webhooks: one `v1,` value per active
   * secret, space-separated.
   * body-hmac: `sha256=<hex>` with the current secret; during a rotation the previous secret's signature goes in
   * `<signature_header>-previous`, since GitHub-style receivers compare a single value.
   */
  headers(sub: WebhookSubscription, eventId: string, eventType: string, body: string, now: Date): Record<string, string> {
    const c = this.config;
    const timestamp = Math.floor(now.getTime() / 1000);
    const secrets = activeSecrets(sub, now);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': c.user_agent,
      [c.event_id_header]: eventId,
      [c.timestamp_header]: String(timestamp),
      [c.event_type_header]: eventType,
    };
    if (c.signature_scheme === 'body-hmac') {
      headers[c.signature_header] = signBodyHmac(secrets[0], body, c.signature_algorithm);
      if (secrets[1]) headers[`${c.signature_header}-previous`] = signBodyHmac(secrets[1], body, c.signature_algorithm);
    } else {
      headers[c.signature_header] = secrets.map((s) => signStandardWebhooks(this.key(s), eventId, timestamp, body)).join(' ');
    }
    // The subscription's own headers (validated when set; skipped here if the module's names changed since).
    const own = sub.headers;
    if (own) for (const name in own) if (!this.reserved.has(name.toLowerCase())) headers[name.toLowerCase()] = own[name];
    return headers;
  }

  private key(secret: string): Buffer {
    let key = this.keys.get(secret);
    if (!key) {
      if (this.keys.size > 10_000) this.keys.clear();
      key = standardWebhooksKey(secret);
      this.keys.set(secret, key);
    }
    return key;
  }
}
