/** Stable machine-readable codes of {@link WebhookError}. */
export type WebhookErrorCode =
  | 'WEBHOOK_ERROR'
  | 'INVALID_EVENT'
  | 'INVALID_SUBSCRIPTION'
  | 'SUBSCRIPTION_NOT_FOUND'
  | 'SUBSCRIPTION_INACTIVE'
  | 'INVALID_WEBHOOK_URL'
  | 'DELIVERY_ATTEMPT_NOT_FOUND'
  | 'EVENT_PURGED'
  | 'INVALID_TRANSACTION'
  | 'SECRET_ROTATION_FAILED'
  | 'INVALID_CONFIG'
  | 'INVALID_STATS_WINDOW'
  | 'WEBHOOK_VERIFICATION_FAILED'
  | 'SECRET_DECRYPTION_FAILED'
  | 'INVALID_PORTAL_SESSION';

/** Base class of every error the module throws or returns; `code` is stable across releases. */
export class WebhookError extends Error {
  constructor(
    message: string,
    /** Stable machine-readable code. */
    readonly code: WebhookErrorCode = 'WEBHOOK_ERROR',
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** One field of a payload that fails its event type's schema (`event_catalog`). */
export interface PayloadFieldError {
  /** Dot path in the payload (`customer.email`, `lines.0.quantity`); `''` for the payload itself. */
  path: string;
  /** What is wrong with it (`must be an email`). */
  message: string;
}

/** The event handed to `dispatch()` cannot be accepted (nothing was stored). */
export class InvalidEventError extends WebhookError {
  constructor(
    message: string,
    /** The payload fields that fail the event type's schema in `event_catalog`, when that is the reason ([] otherwise). */
    readonly fieldErrors: readonly PayloadFieldError[] = [],
  ) {
    super(message, 'INVALID_EVENT');
  }
}

/** A subscription field is invalid (nothing was stored). */
export class InvalidSubscriptionError extends WebhookError {
  constructor(
    message: string,
    /** The input field at fault (`headers`, `filter`, `retry_max_attempts`...), when one is. */
    readonly field?: string,
  ) {
    super(message, 'INVALID_SUBSCRIPTION');
  }
}

/** No subscription has this id. */
export class SubscriptionNotFoundError extends WebhookError {
  constructor(
    /** The id that was not found. */
    readonly subscriptionId: string,
  ) {
    super(`subscription ${subscriptionId} not found: create it first or check the id`, 'SUBSCRIPTION_NOT_FOUND');
  }
}

/** The subscription is inactive, so nothing can be sent to it. */
export class SubscriptionInactiveError extends WebhookError {
  constructor(
    /** The inactive subscription. */
    readonly subscriptionId: string,
  ) {
    super(`subscription ${subscriptionId} is inactive: activate it before redelivering to it`, 'SUBSCRIPTION_INACTIVE');
  }
}

/** A subscription URL is refused (malformed, not http(s), or a private address without `allow_private_urls`). */
export class InvalidWebhookURLError extends WebhookError {
  constructor(
    /** The URL refused. */
    readonly url: string,
    reason: string,
  ) {
    super(`invalid webhook URL ${JSON.stringify(url)}: ${reason}`, 'INVALID_WEBHOOK_URL');
  }
}

/** No logged attempt has this id. */
export class DeliveryAttemptNotFoundError extends WebhookError {
  constructor(
    /** The id that was not found. */
    readonly attemptId: string,
  ) {
    super(`delivery attempt ${attemptId} not found: list attempts to find a valid id (old ones are purged after delivery_log_retention_days)`, 'DELIVERY_ATTEMPT_NOT_FOUND');
  }
}

/**
 * `dispatch(event, { manager })` (or the transaction host) gave something that cannot be joined: no
 * transactional store, a manager of another DataSource, or no running transaction. Nothing was written.
 */
export class InvalidTransactionError extends WebhookError {
  constructor(message: string) {
    super(message, 'INVALID_TRANSACTION');
  }
}

/** The event of a logged attempt was purged (`delivery_log_retention_days`): it can no longer be re-sent. */
export class EventPurgedError extends WebhookError {
  constructor(
    /** The attempt whose event is gone. */
    readonly attemptId: string,
  ) {
    super(`the event of attempt ${attemptId} was purged (delivery_log_retention_days): it can no longer be re-sent`, 'EVENT_PURGED');
  }
}

/** A secret rotation cannot be done (for example, the subscription is gone). */
export class SecretRotationError extends WebhookError {
  constructor(message: string) {
    super(message, 'SECRET_ROTATION_FAILED');
  }
}

/** A `WebhookModule` option is invalid; raised at start-up. */
export class InvalidWebhookConfigError extends WebhookError {
  constructor(
    /** The config key at fault. */
    readonly key: string,
    message: string,
  ) {
    super(`invalid webhook config "${key}": ${message}`, 'INVALID_CONFIG');
  }
}

/** Receiver side: the webhook's signature, timestamp or headers do not verify. */
export class WebhookVerificationError extends WebhookError {
  constructor(message: string) {
    super(message, 'WEBHOOK_VERIFICATION_FAILED');
  }
}

/**
 * A stored secret or header value cannot be decrypted with `secret_encryption_keys`: it was encrypted with a key
 * that is not in the list, or it was altered. Nothing is signed or sent with it.
 */
export class SecretDecryptionError extends WebhookError {
  constructor(
    message: string,
    /** Id of the key the value names (first 8 hex digits of the SHA-256 of the key), when it names one. */
    readonly keyId: string | null = null,
  ) {
    super(message, 'SECRET_DECRYPTION_FAILED');
  }
}
