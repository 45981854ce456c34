import { Inject, Injectable, Logger } from '@nestjs/common';
import { EventCatalog } from '../catalog/event-catalog';
import type { SignatureType, WebhookConfig } from '../config/webhook-config';
import { reservedHeaderNames, validateHeaders } from '../domain/custom-headers';
import { validateFilter } from '../domain/filter/filter-validation';
import type { WebhookFilter } from '../domain/filter/webhook-filter';
import { newId } from '../domain/ids';
import { printable } from '../domain/printable';
import type { SubscriptionListQuery, WebhookSubscriptionStore } from '../domain/stores';
import type { SubscriptionTestSender } from '../domain/test-send';
import type { DeliveryAttempt, WebhookSubscription } from '../domain/types';
import { InvalidSubscriptionError, InvalidWebhookURLError, SecretRotationError, SubscriptionNotFoundError, WebhookError } from '../domain/webhook.error';
import { urlTargetRefusal } from '../security/guarded-lookup';
import { validateWebhookUrl } from '../security/url-validation';
import { InjectWebhookConfig, InjectWebhookSubscriptionStore, WEBHOOK_TEST_SENDER } from '../webhook.constants';
import { SubscriptionCache } from './subscription-cache';
import { newSecret, signatureTypeOf, validateSignatureType, withPublicKey } from './subscription-keys';
import { SUBSCRIPTION_OVERRIDES, validateEventTypes, validateMetadata, validateOptionalString, validateOrdered, validateOverride, validateRateLimit } from './subscription-validation';

/** What `create()` takes. */
export interface CreateSubscriptionInput {
  /** The endpoint: https (http only with `allow_private_urls` or in tests). */
  url: string;
  /** Default null: every event type. */
  event_types?: string[] | null;
  /** Free text for operators. Default null. */
  description?: string | null;
  /** The customer it belongs to. Default null. */
  tenant_id?: string | null;
  /** The app's own data, stored as given. Default `{}`. */
  metadata?: Record<string, unknown> | null;
  /** Extra headers sent with every delivery (null or `{}`: none). Not the module's own headers. */
  headers?: Record<string, string> | null;
  /** Only events passing this filter are delivered (null: no filter). */
  filter?: WebhookFilter | null;
  /** Overrides of the module config for this endpoint (null: the module's value). */
  retry_max_attempts?: number | null;
  /** Request timeout for this endpoint, seconds (null: the module's). */
  delivery_timeout_seconds?: number | null;
  /** Sends in flight to this endpoint per process (null: the module's). */
  max_concurrent_per_endpoint?: number | null;
  /** Requests per second to this endpoint over all replicas (null: no limit). */
  rate_limit_per_second?: number | null;
  /**
   * Deliver one `ordering_key`'s events one at a time, in dispatch order (default false). Applies to events
   * dispatched from then on.
   */
  ordered?: boolean;
  /**
   * How deliveries are signed (default: the module's `signature_type`): `'hmac-sha256'` (a `whsec_` secret shared
   * with the receiver) or `'ed25519'` (a `whsk_` signing key kept here; the receiver verifies with `public_key`).
   * On `update()`, a different type replaces the secret with a new one of that type, as `rotateSecret()` does
   * (the old one keeps signing for `secret_rotation_grace_hours`), and the result carries the new secret.
   */
  signature_type?: SignatureType;
}

/** Options of `sendTest()`. */
export interface SendTestOptions {
  /** A catalogued event type to send with its `event_catalog` example, instead of `webhook.test`. */
  event_type?: string;
}

/** What `update()` may change (`headers` is replaced as a whole). */
export type UpdateSubscriptionInput = Partial<CreateSubscriptionInput>;

/** Manages subscriptions with validation; every method throws a `WebhookError` subclass on bad input. */
@Injectable()
export class WebhookSubscriptionService {
  private readonly logger = new Logger(WebhookSubscriptionService.name);
  private readonly reservedHeaders: ReadonlySet<string>;

  /** @internal Made by Nest's injector; its parameters are the module's internals. */
  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @InjectWebhookSubscriptionStore() private readonly store: WebhookSubscriptionStore,
    @Inject(SubscriptionCache) private readonly cache: SubscriptionCache,
    @Inject(WEBHOOK_TEST_SENDER) private readonly tester: SubscriptionTestSender,
    @Inject(EventCatalog) private readonly catalog: EventCatalog,
  ) {
    this.reservedHeaders = reservedHeaderNames(config);
  }

  /**
   * Validates and stores a new active subscription with a generated secret (returned here, once): a `whsec_`
   * secret, or for `signature_type: 'ed25519'` a `whsk_` signing key with its `public_key`.
   */
  async create(input: CreateSubscriptionInput): Promise<WebhookSubscription> {
    const created = await this.store.create(await this.newSubscription(input));
    this.cache.changed(created.subscription_id, created);
    return withPublicKey(created);
  }

  /**
   * `create()` for many subscriptions at once: every input is validated first (a bad one is refused with an
   * error naming its index, and nothing is stored), then all are stored in one transaction. Returns them, with
   * their secrets, in order.
   */
  async createMany(inputs: readonly CreateSubscriptionInput[]): Promise<WebhookSubscription[]> {
    if (!Array.isArray(inputs)) throw new InvalidSubscriptionError('createMany() takes an array of subscriptions');
    const subs: WebhookSubscription[] = [];
    for (const [i, input] of inputs.entries()) {
      try {
        subs.push(await this.newSubscription(input));
      } catch (err) {
        if (err instanceof WebhookError) (err as { message: string }).message = `subscription [${i}]: ${err.message}`;
        throw err;
      }
    }
    const created = await this.store.createMany(subs);
    for (const sub of created) this.cache.changed(sub.subscription_id, sub);
    return created.map(withPublicKey);
  }

  /** A new active subscription from validated input, with a generated id and secret. */
  private async newSubscription(input: CreateSubscriptionInput): Promise<WebhookSubscription> {
    if (input === null || typeof input !== 'object') throw new InvalidSubscriptionError('expected an object with at least url');
    const url = await this.checkUrl(input.url);
    const signatureType = validateSignatureType(input.signature_type, this.config);
    const sub: WebhookSubscription = {
      // A flat string (newId): the process-local index keys on it, and a raw randomUUID() is a ~500-byte rope.
      subscription_id: newId(),
      url,
      secret: newSecret(signatureType, this.config),
      signature_type: signatureType,
      event_types: null,
      active: true,
      description: null,
      tenant_id: null,
      created_at: new Date(),
      metadata: {},
      previous_secret: null,
      previous_secret_expires_at: null,
      disabled_reason: null,
      ordered: false,
    };
    // The controls given; the stores read back the others as none (headers {}, the rest null).
    this.apply(sub, input);
    return sub;
  }

  /** Throws {@link SubscriptionNotFoundError} when it does not exist. */
  async get(id: string): Promise<WebhookSubscription> {
    const sub = typeof id === 'string' && id ? await this.store.get(id) : null;
    if (!sub) throw new SubscriptionNotFoundError(printable(id));
    return withPublicKey(sub);
  }

  /** Lists subscriptions (active ones only unless `active_only: false`), oldest first. */
  async list(query: SubscriptionListQuery = {}): Promise<WebhookSubscription[]> {
    return (await this.store.list(query)).map(withPublicKey);
  }

  /** Changes the fields given (omitted fields stay as they are; null clears an optional one). */
  async update(id: string, patch: UpdateSubscriptionInput): Promise<WebhookSubscription> {
    if (patch === null || typeof patch !== 'object') throw new InvalidSubscriptionError('expected an object of fields to change');
    const current = await this.get(id);
    const next: WebhookSubscription = { ...current };
    if (patch.url !== undefined) next.url = await this.checkUrl(patch.url);
    this.apply(next, patch);
    if (patch.signature_type !== undefined) {
      const type = validateSignatureType(patch.signature_type, this.config);
      if (type !== signatureTypeOf(current)) Object.assign(next, this.newKeys(current, type));
    }
    return this.save(next);
  }

  /**
   * Sends a signed `webhook.test` event to the subscription's endpoint now, once, with its headers and timeout
   * (not its filter; also when inactive, to check an endpoint before `activate()`), and logs the attempt.
   * Resolves with the finished attempt: `delivered` (2xx) or `failed` (never retried). Throws
   * {@link SubscriptionNotFoundError} for an unknown id.
   *
   * With `options.event_type`, sends that event type with its `event_catalog` example as the payload instead
   * (event id `test_...`, source `nestjs-webhooks`); an `InvalidEventError` refuses a type that is not
   * catalogued, has no example, or is not among the types the subscription receives.
   */
  async sendTest(id: string, options: SendTestOptions = {}): Promise<DeliveryAttempt> {
    const sub = await this.get(id);
    const event = options?.event_type == null ? undefined : this.catalog.testEvent(options.event_type, sub);
    return this.tester.sendTest(sub, event);
  }

  /** Deletes a subscription; throws `SubscriptionNotFoundError` when there is none. */
  async delete(id: string): Promise<void> {
    if (!(typeof id === 'string' && id && (await this.store.delete(id)))) throw new SubscriptionNotFoundError(printable(id));
    this.cache.changed(id, null);
  }

  /** Makes a subscription receive deliveries again (clears `disabled_reason`). */
  async activate(id: string): Promise<WebhookSubscription> {
    return this.save({ ...(await this.get(id)), active: true, disabled_reason: null });
  }

  /** Stops deliveries to a subscription; pending ones are cancelled when their turn comes. */
  async deactivate(id: string): Promise<WebhookSubscription> {
    return this.save({ ...(await this.get(id)), active: false });
  }

  /**
   * Replaces the secret with a new one of the same kind (an ed25519 subscription gets a new key pair, hence a new
   * `public_key`). For `secret_rotation_grace_hours` the old one keeps signing too (each delivery carries both
   * signatures), so receivers can switch at their pace. Returns the subscription with the new secret.
   */
  async rotateSecret(id: string): Promise<WebhookSubscription> {
    const current = await this.get(id);
    const rotated = await this.store.update({ ...current, ...this.newKeys(current, signatureTypeOf(current)) });
    if (!rotated) throw new SecretRotationError(`subscription ${id} was deleted while its secret was being rotated: nothing was changed`);
    this.cache.changed(id, rotated);
    return withPublicKey(rotated);
  }

  /** A new secret of `type` for `current`, whose secret keeps signing for the grace period (if any). */
  private newKeys(current: WebhookSubscription, type: SignatureType): Pick<WebhookSubscription, 'secret' | 'signature_type' | 'previous_secret' | 'previous_secret_expires_at'> {
    const graceMs = this.config.secret_rotation_grace_hours * 3_600_000;
    return {
      secret: newSecret(type, this.config),
      signature_type: type,
      previous_secret: graceMs > 0 ? current.secret : null,
      previous_secret_expires_at: graceMs > 0 ? new Date(Date.now() + graceMs) : null,
    };
  }

  /**
   * Re-encrypts every stored secret, previous secret and custom header value with the first of
   * `secret_encryption_keys` (plaintext rows from before encryption was turned on included), in batches: run it
   * after putting a new key first, then remove the old key. Values keep their meaning: deliveries are not
   * affected. Returns how many subscriptions were rewritten (0 on the memory store, which keeps nothing at
   * rest, or without keys). Throws `SecretDecryptionError` when a stored value decrypts with none of the keys.
   */
  async reencryptSecrets(): Promise<{ reencrypted: number }> {
    return { reencrypted: (await this.store.reencryptSecrets?.()) ?? 0 };
  }

  /** Validates every field of `input` but url into `sub` (a copy: nothing is stored when one is bad). */
  private apply(sub: WebhookSubscription, input: UpdateSubscriptionInput): void {
    if (input.event_types !== undefined) sub.event_types = this.catalog.checkSubscriptionEventTypes(validateEventTypes(input.event_types));
    if (input.description !== undefined) sub.description = validateOptionalString('description', input.description, 1000);
    if (input.tenant_id !== undefined) sub.tenant_id = validateOptionalString('tenant_id', input.tenant_id, 255);
    if (input.metadata !== undefined) sub.metadata = validateMetadata(input.metadata);
    if (input.headers !== undefined) sub.headers = validateHeaders(input.headers, this.reservedHeaders);
    if (input.filter !== undefined) sub.filter = validateFilter(input.filter);
    for (const key of SUBSCRIPTION_OVERRIDES) if (input[key] !== undefined) sub[key] = validateOverride(key, input[key], this.config);
    if (input.rate_limit_per_second !== undefined) sub.rate_limit_per_second = validateRateLimit(input.rate_limit_per_second);
    if (input.ordered !== undefined) sub.ordered = validateOrdered(input.ordered);
  }

  /** Every update goes through here, so this process's subscription cache never serves what it changed. */
  private async save(sub: WebhookSubscription): Promise<WebhookSubscription> {
    const saved = await this.store.update(sub);
    if (!saved) throw new SubscriptionNotFoundError(sub.subscription_id);
    this.cache.changed(saved.subscription_id, saved);
    return withPublicKey(saved);
  }

  /**
   * Syntax, then where the host resolves (SSRF guard); an unresolvable host is left to the send-time check. A
   * refusal names no address (the caller would learn where an internal name points); the log line does.
   */
  private async checkUrl(url: unknown): Promise<string> {
    const parsed = validateWebhookUrl(url as string);
    const refused = await urlTargetRefusal(this.config, parsed).catch(() => null);
    if (refused) {
      this.logger.warn(`subscription URL refused: ${refused.hostname} -> ${refused.detail}`);
      throw new InvalidWebhookURLError(parsed.href, refused.message);
    }
    return parsed.href;
  }
}
