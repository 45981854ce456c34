import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { WebhookConfig } from '../config/webhook-config';
import type { SubscriptionListQuery, WebhookSubscriptionStore } from '../domain/stores';
import type { WebhookSubscription } from '../domain/types';
import { InvalidSubscriptionError, InvalidWebhookURLError, SecretRotationError, SubscriptionNotFoundError, WebhookError } from '../domain/webhook.error';
import { checkUrlTarget } from '../security/ssrf';
import { validateWebhookUrl } from '../security/url-validation';
import { generateWebhookSecret } from '../signing/secret';
import { SubscriptionCache } from './subscription-cache';
import { InjectWebhookConfig, InjectWebhookSubscriptionStore } from '../webhook.constants';
import { validateEventTypes, validateMetadata, validateOptionalString } from './subscription-validation';
import { printable } from '../domain/printable';

/** What `create()` takes. */
export interface CreateSubscriptionInput {
  url: string;
  /** Default null: every event type. */
  event_types?: string[] | null;
  description?: string | null;
  tenant_id?: string | null;
  metadata?: Record<string, unknown> | null;
}

/** What `update()` may change. */
export type UpdateSubscriptionInput = Partial<CreateSubscriptionInput>;

/** Manages subscriptions with validation; every method throws a `WebhookError` subclass on bad input. */
@Injectable()
export class WebhookSubscriptionService {
  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @InjectWebhookSubscriptionStore() private readonly store: WebhookSubscriptionStore,
    @Inject(SubscriptionCache) private readonly cache: SubscriptionCache,
  ) {}

  /** Validates and stores a new active subscription with a generated secret (returned here, once). */
  async create(input: CreateSubscriptionInput): Promise<WebhookSubscription> {
    const created = await this.store.create(await this.newSubscription(input));
    this.cache.changed(created.subscription_id, created);
    return created;
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
    return created;
  }

  /** A new active subscription from validated input, with a generated id and secret. */
  private async newSubscription(input: CreateSubscriptionInput): Promise<WebhookSubscription> {
    if (input === null || typeof input !== 'object') throw new InvalidSubscriptionError('expected an object with at least url');
    const url = await this.checkUrl(input.url);
    return {
      subscription_id: randomUUID(),
      url,
      secret: generateWebhookSecret(this.config.secret_length),
      event_types: validateEventTypes(input.event_types),
      active: true,
      description: validateOptionalString('description', input.description, 1000),
      tenant_id: validateOptionalString('tenant_id', input.tenant_id, 255),
      created_at: new Date(),
      metadata: validateMetadata(input.metadata),
      previous_secret: null,
      previous_secret_expires_at: null,
      disabled_reason: null,
    };
  }

  /** Throws {@link SubscriptionNotFoundError} when it does not exist. */
  async get(id: string): Promise<WebhookSubscription> {
    const sub = typeof id === 'string' && id ? await this.store.get(id) : null;
    if (!sub) throw new SubscriptionNotFoundError(printable(id));
    return sub;
  }

  list(query: SubscriptionListQuery = {}): Promise<WebhookSubscription[]> {
    return this.store.list(query);
  }

  /** Changes url, event_types, description, tenant_id or metadata (omitted fields stay as they are). */
  async update(id: string, patch: UpdateSubscriptionInput): Promise<WebhookSubscription> {
    if (patch === null || typeof patch !== 'object') throw new InvalidSubscriptionError('expected an object of fields to change');
    const current = await this.get(id);
    const next: WebhookSubscription = { ...current };
    if (patch.url !== undefined) next.url = await this.checkUrl(patch.url);
    if (patch.event_types !== undefined) next.event_types = validateEventTypes(patch.event_types);
    if (patch.description !== undefined) next.description = validateOptionalString('description', patch.description, 1000);
    if (patch.tenant_id !== undefined) next.tenant_id = validateOptionalString('tenant_id', patch.tenant_id, 255);
    if (patch.metadata !== undefined) next.metadata = validateMetadata(patch.metadata);
    return this.save(next);
  }

  async delete(id: string): Promise<void> {
    if (!(typeof id === 'string' && id && (await this.store.delete(id)))) throw new SubscriptionNotFoundError(printable(id));
    this.cache.changed(id, null);
  }

  async activate(id: string): Promise<WebhookSubscription> {
    return this.save({ ...(await this.get(id)), active: true, disabled_reason: null });
  }

  async deactivate(id: string): Promise<WebhookSubscription> {
    return this.save({ ...(await this.get(id)), active: false });
  }

  /**
   * Replaces the secret. For `secret_rotation_grace_hours` the old one keeps signing too (each delivery carries
   * both signatures), so receivers can switch at their pace. Returns the subscription with the new secret.
   */
  async rotateSecret(id: string): Promise<WebhookSubscription> {
    const current = await this.get(id);
    const graceMs = this.config.secret_rotation_grace_hours * 3_600_000;
    const now = Date.now();
    const rotated = await this.store.update({
      ...current,
      secret: generateWebhookSecret(this.config.secret_length),
      previous_secret: graceMs > 0 ? current.secret : null,
      previous_secret_expires_at: graceMs > 0 ? new Date(now + graceMs) : null,
    });
    if (!rotated) throw new SecretRotationError(`subscription ${id} was deleted while its secret was being rotated: nothing was changed`);
    this.cache.changed(id, rotated);
    return rotated;
  }

  /** Every update goes through here, so this process's subscription cache never serves what it changed. */
  private async save(sub: WebhookSubscription): Promise<WebhookSubscription> {
    const saved = await this.store.update(sub);
    if (!saved) throw new SubscriptionNotFoundError(sub.subscription_id);
    this.cache.changed(saved.subscription_id, saved);
    return saved;
  }

  /** Syntax, then where the host resolves (SSRF guard); an unresolvable host is left to the send-time check. */
  private async checkUrl(url: unknown): Promise<string> {
    const parsed = validateWebhookUrl(url as string);
    let refusal: string | null = null;
    try {
      refusal = await checkUrlTarget(this.config, parsed);
    } catch {
      refusal = null;
    }
    if (refusal) throw new InvalidWebhookURLError(parsed.href, refusal);
    return parsed.href;
  }
}
