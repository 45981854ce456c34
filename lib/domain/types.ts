import type { WebhookFilter } from './filter/webhook-filter';

/** How a subscription's deliveries are signed: a shared HMAC secret, or an ed25519 key pair. */
export type SignatureType = 'hmac-sha256' | 'ed25519';
/** Every {@link SignatureType}, for validation. */
export const SIGNATURE_TYPES: readonly SignatureType[] = Object.freeze(['hmac-sha256', 'ed25519']);

/** Lifecycle of a delivery (one event to one subscription) and of each logged attempt. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'dead_letter' | 'cancelled';

/** Every value of {@link DeliveryStatus}, for validation. */
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['pending', 'delivered', 'failed', 'dead_letter', 'cancelled'];

/** An application event handed to `dispatch()`. */
export interface WebhookEvent<TPayload = unknown> {
  /** Unique id; generated (UUID) when omitted. Re-dispatching the same id is a no-op. */
  event_id: string;
  /** Event type, e.g. `invoice.paid`. Subscriptions match on it. */
  event_type: string;
  /** JSON-serializable payload, sent as `payload` in the body. */
  payload: TPayload;
  /** When the event happened; defaults to now. */
  occurred_at: Date;
  /** Free-form origin of the event (service name), may be null. */
  source: string | null;
  /** When set, only subscriptions of this tenant receive the event. */
  tenant_id?: string | null;
  /**
   * The lane of the event on subscriptions created with `ordered: true` (a customer id, an order id...): one
   * key's events reach such a subscription one at a time, in dispatch order. Null or omitted: the subscription's
   * one keyless lane. Ignored by unordered subscriptions. 1-255 characters.
   */
  ordering_key?: string | null;
}

/** What `dispatch()` accepts: `event_id`, `occurred_at` and `source` may be omitted. */
export type WebhookEventInput<TPayload = unknown> = Omit<WebhookEvent<TPayload>, 'event_id' | 'occurred_at' | 'source'> & {
  event_id?: string;
  occurred_at?: Date | string;
  source?: string | null;
};

/** A customer's endpoint and what it wants to receive. */
export interface WebhookSubscription {
  /** Generated id. */
  subscription_id: string;
  /** The customer's endpoint (https, or http where allowed). */
  url: string;
  /**
   * Signing secret: `whsec_...` (HMAC) or, for an ed25519 subscription, the signing key `whsk_...`. Shown by the
   * admin API only on create and rotate (and on an update that changes `signature_type`).
   */
  secret: string;
  /**
   * How deliveries are signed: `'hmac-sha256'` (`v1,` signatures, the receiver holds the `whsec_` secret) or
   * `'ed25519'` (`v1a,` signatures, the receiver holds only the public `whpk_` key). Default: the module's
   * `signature_type` when created; absent = `'hmac-sha256'`.
   */
  signature_type?: SignatureType;
  /**
   * The `whpk_` public key of an ed25519 subscription (null for HMAC): derived from `secret`, never stored, and
   * public, so it may be shown anywhere. Set on the subscriptions `WebhookSubscriptionService` returns.
   */
  public_key?: string | null;
  /** Event types to receive (exact names or `prefix.*` wildcards); `null` means all. */
  event_types: string[] | null;
  /** Whether it receives deliveries. */
  active: boolean;
  /** Free text for operators; null when not given. */
  description: string | null;
  /** The customer it belongs to; null for none. */
  tenant_id: string | null;
  /** When it was created. */
  created_at: Date;
  /** The app's own data about it, stored as given. Default `{}`. */
  metadata: Record<string, unknown>;
  /** The secret replaced by the last rotation, still signed with until `previous_secret_expires_at`. */
  previous_secret?: string | null;
  /** When `previous_secret` stops signing. */
  previous_secret_expires_at?: Date | null;
  /** Why the module deactivated it (auto-disable, 410 Gone), null otherwise. */
  disabled_reason?: string | null;
  /**
   * Extra request headers sent with every delivery to this endpoint (names in lower case). Values are treated as
   * credentials: the admin API masks them and they are never logged. Default `{}`.
   */
  headers?: Record<string, string>;
  /** Only events that pass this filter are delivered here (see {@link WebhookFilter}); null = every matching event. */
  filter?: WebhookFilter | null;
  /** Tries per delivery cycle to this endpoint; null = the module's `retry_max_attempts`. */
  retry_max_attempts?: number | null;
  /** Whole-request timeout of an attempt to this endpoint, seconds; null = the module's `delivery_timeout_seconds`. */
  delivery_timeout_seconds?: number | null;
  /** Sends in flight to this endpoint per process; null = the module's `max_concurrent_per_endpoint`. */
  max_concurrent_per_endpoint?: number | null;
  /** At most this many requests to this endpoint in any one-second window, over all replicas together; null = no limit. */
  rate_limit_per_second?: number | null;
  /**
   * Deliver the events of one `ordering_key` one at a time, in dispatch order (events without a key form one lane
   * of their own); different keys still go in parallel. Default false.
   */
  ordered?: boolean;
}

/** One HTTP try of one delivery, as logged. */
export interface DeliveryAttempt {
  /** Generated id. */
  attempt_id: string;
  /** The endpoint it was sent to. */
  subscription_id: string;
  /** The event it carried. */
  event_id: string;
  /** The event's type. */
  event_type: string;
  /** `delivered` (2xx), `failed` (a retry is scheduled), `dead_letter` (final failure), `cancelled` (not sent). */
  status: DeliveryStatus;
  /** The HTTP status answered; null when no answer came. */
  status_code: number | null;
  /** 1 for the first try of a delivery cycle. */
  attempt_number: number;
  /** When the request started. */
  attempted_at: Date;
  /** When the next try is due (failed attempts only). */
  next_retry_at: Date | null;
  /** Why it failed (status, timeout, refused address...); null on success. */
  error_message: string | null;
  /** How long the request took, milliseconds. */
  duration_ms: number;
}

/** `{ ok: true }` or `{ ok: false, error }`: for operations whose failure is an expected outcome. */
export type Result<T = void, E = Error> = (T extends void ? { ok: true; value?: undefined } : { ok: true; value: T }) | { ok: false; error: E };

/** The stored form of an accepted event: the body exactly as it is sent. */
export interface StoredEvent {
  /** The event's id. */
  event_id: string;
  /** The event's type. */
  event_type: string;
  /** Serialized JSON body, byte-for-byte what receivers get. */
  body: string;
  /** When it happened in the app. */
  occurred_at: Date;
  /** Where it came from; null when not given. */
  source: string | null;
  /** When it was accepted. */
  created_at: Date;
  /**
   * W3C `traceparent` of the `webhook.dispatch` span that accepted it (null without tracing), so every attempt's
   * span links to it, in whichever process and however much later it is sent.
   */
  traceparent?: string | null;
}

/** One event x subscription: the unit of the delivery queue. */
export interface DeliveryRecord {
  /** Generated id. */
  delivery_id: string;
  /** The event to send. */
  event_id: string;
  /** The endpoint to send it to. */
  subscription_id: string;
  /** The event's type. */
  event_type: string;
  /** Where it is: pending, delivered, dead_letter or cancelled. */
  status: Exclude<DeliveryStatus, 'failed'>;
  /**
   * Its ordering lane, for a subscription with `ordered: true`: the event's `ordering_key` (`''` for none). Null
   * for an unordered delivery.
   */
  lane?: string | null;
  /** Attempts made in the current cycle (a redelivery starts a new cycle). */
  attempts: number;
  /** When the next try is due. */
  next_attempt_at: Date;
  /** End of the current lease; null when not leased. */
  locked_until: Date | null;
  /** The worker holding the lease; null when not leased. */
  locked_by: string | null;
  /** The latest attempt; null before the first. */
  last_attempt_id: string | null;
  /** When it was created. */
  created_at: Date;
  /** When it last changed. */
  updated_at: Date;
}

/** A delivery handed to a worker by a claim, with the event body to send. */
export interface ClaimedDelivery {
  /** The claimed delivery. */
  delivery: DeliveryRecord;
  /** Its event, with the body to send. */
  event: StoredEvent;
}

/** What a worker decided after one attempt; the store writes it together with the attempt. */
export type DeliveryTransition =
  | { status: 'delivered' }
  | { status: 'pending'; next_attempt_at: Date }
  | { status: 'dead_letter' }
  | { status: 'cancelled' };
