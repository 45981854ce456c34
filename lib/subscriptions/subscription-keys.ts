import type { SignatureType, WebhookConfig } from '../config/webhook-config';
import { SIGNATURE_TYPES, type WebhookSubscription } from '../domain/types';
import { InvalidSubscriptionError } from '../domain/webhook.error';
import { ed25519PublicKey, generateEd25519KeyPair, SIGNING_KEY_PREFIX } from '../signing/ed25519';
import { generateWebhookSecret } from '../signing/secret';


/** A subscription's signature type (a row from before the field is HMAC). */
export function signatureTypeOf(sub: Pick<WebhookSubscription, 'signature_type'>): SignatureType {
  return sub.signature_type ?? 'hmac-sha256';
}

/**
 * The `signature_type` a subscription asks for, checked: omitted is the module's `signature_type`; ed25519 needs
 * the Standard Webhooks scheme (body-hmac carries HMAC only). Throws naming the field.
 */
export function validateSignatureType(value: unknown, config: Pick<WebhookConfig, 'signature_type' | 'signature_scheme'>): SignatureType {
  if (value === undefined) return config.signature_type;
  if (!SIGNATURE_TYPES.includes(value as SignatureType)) {
    throw new InvalidSubscriptionError(`signature_type must be one of ${SIGNATURE_TYPES.map((t) => `'${t}'`).join(', ')}`, 'signature_type');
  }
  if (value === 'ed25519' && config.signature_scheme !== 'standard-webhooks') {
    throw new InvalidSubscriptionError("signature_type 'ed25519' needs the module's signature_scheme 'standard-webhooks': the body-hmac scheme is HMAC only", 'signature_type');
  }
  return value as SignatureType;
}

/** A new secret of the kind `type` signs with: `whsec_` + `secret_length` random bytes, or an ed25519 `whsk_` key. */
export function newSecret(type: SignatureType, config: Pick<WebhookConfig, 'secret_length'>): string {
  return type === 'ed25519' ? generateEd25519KeyPair().secret : generateWebhookSecret(config.secret_length);
}

/** The `whpk_` public key of an ed25519 subscription (from its `whsk_` secret), null for HMAC. */
export function publicKeyOf(sub: Pick<WebhookSubscription, 'secret'>): string | null {
  if (typeof sub.secret !== 'string' || !sub.secret.startsWith(SIGNING_KEY_PREFIX)) return null;
  try {
    return ed25519PublicKey(sub.secret);
  } catch {
    return null;
  }
}

/** `sub` with its derived `public_key` (see `WebhookSubscription.public_key`). */
export function withPublicKey(sub: WebhookSubscription): WebhookSubscription {
  return { ...sub, public_key: publicKeyOf(sub) };
}
