import type { KeyObject } from 'node:crypto';
import type { WebhookConfig } from '../config/webhook-config';
import { reservedHeaderNames } from '../domain/custom-headers';
import type { WebhookSubscription } from '../domain/types';
import { WebhookError } from '../domain/webhook.error';
import { ed25519PrivateKeyObject, ed25519SigningKeyProblem, signEd25519StandardWebhooks, SIGNING_KEY_PREFIX } from './ed25519';
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

/** Most decoded keys a signer keeps (it starts again from empty beyond). */
const KEY_CACHE_SIZE = 10_000;

/**
 * Signs deliveries as configured, and adds the subscription's own headers. Secret keys are decoded once per
 * secret string and cached, since every attempt to the same subscription signs with the same keys. Each secret
 * signs by its kind: a `whsk_` key with ed25519 (`v1a,`), any other with HMAC-SHA256 (`v1,`), so that during the
 * grace period of a change of `signature_type` the old secret keeps signing as it did.
 */
export class WebhookSigner {
  private readonly keys = new Map<string, Buffer>();
  private readonly privateKeys = new Map<string, KeyObject>();
  private readonly reserved: ReadonlySet<string>;

  constructor(private readonly config: SignerConfig) {
    this.reserved = reservedHeaderNames(config);
  }

  /**
   * The headers of one attempt: the module's, then the subscription's own (which may replace `user-agent`, never
   * a signature, id, timestamp, event-type or transport header). Standard Webhooks: one value per active secret,
   * space-separated: `v1,<HMAC>` for a `whsec_` secret, `v1a,<ed25519>` for a `whsk_` key.
   * body-hmac: `sha256=<hex>` with the current secret; during a rotation the previous secret's signature goes in
   * `<signature_header>-previous`, since GitHub-style receivers compare a single value. Throws a `WebhookError`
   * for an ed25519 subscription under body-hmac (HMAC only), which `create`/`update` refuse but an older row may hold.
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
      if (secrets[0].startsWith(SIGNING_KEY_PREFIX)) {
        throw new WebhookError(`subscription ${sub.subscription_id} signs with ed25519, which the body-hmac scheme cannot carry: set signature_scheme 'standard-webhooks', or update its signature_type to 'hmac-sha256'`);
      }
      headers[c.signature_header] = signBodyHmac(secrets[0], body, c.signature_algorithm);
      // A previous ed25519 key (the subscription has just left ed25519) has no body-hmac form: it is left out.
      if (secrets[1] && !secrets[1].startsWith(SIGNING_KEY_PREFIX)) headers[`${c.signature_header}-previous`] = signBodyHmac(secrets[1], body, c.signature_algorithm);
    } else {
      const first = this.signOne(secrets[0], eventId, timestamp, body);
      headers[c.signature_header] = secrets.length === 1 ? first : `${first} ${this.signOne(secrets[1], eventId, timestamp, body)}`;
    }
    // The subscription's own headers (validated when set; skipped here if the module's names changed since).
    const own = sub.headers;
    if (own) for (const name in own) if (!this.reserved.has(name.toLowerCase())) headers[name.toLowerCase()] = own[name];
    return headers;
  }

  /** One Standard Webhooks signature by `secret`'s kind: `v1a,` for a `whsk_` key, `v1,` for any other. */
  private signOne(secret: string, eventId: string, timestamp: number, body: string): string {
    return secret.startsWith(SIGNING_KEY_PREFIX) ? signEd25519StandardWebhooks(this.privateKey(secret), eventId, timestamp, body) : signStandardWebhooks(this.key(secret), eventId, timestamp, body);
  }

  private key(secret: string): Buffer {
    let key = this.keys.get(secret);
    if (!key) {
      if (this.keys.size > KEY_CACHE_SIZE) this.keys.clear();
      key = standardWebhooksKey(secret);
      this.keys.set(secret, key);
    }
    return key;
  }

  /** The private KeyObject of a `whsk_` key; a KeyObject costs a parse of DER, so it is made once per key. */
  private privateKey(secret: string): KeyObject {
    let key = this.privateKeys.get(secret);
    if (!key) {
      if (this.privateKeys.size > KEY_CACHE_SIZE) this.privateKeys.clear();
      // Checked once per key: a seed whose public half differs would sign what the shown public_key cannot verify.
      const problem = ed25519SigningKeyProblem(secret);
      // Never the key itself in the message: it is logged as the attempt's error.
      if (problem) throw new WebhookError(`an ed25519 signing key of this subscription ${problem}: rotate its secret`);
      key = ed25519PrivateKeyObject(secret);
      this.privateKeys.set(secret, key);
    }
    return key;
  }
}
