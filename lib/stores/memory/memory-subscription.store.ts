import { Injectable } from '@nestjs/common';
import { eventTypeMatches } from '../../domain/event-type';
import type { SubscriptionListQuery, WebhookSubscriptionStore } from '../../domain/stores';
import type { WebhookSubscription } from '../../domain/types';
import { InvalidSubscriptionError } from '../../domain/webhook.error';
import { cloneSubscription, compareSubscriptions, page } from '../store.utils';

/** Subscriptions in process memory: for tests and single-process demos (lost on restart). */
@Injectable()
export class MemorySubscriptionStore implements WebhookSubscriptionStore {
  private readonly subs = new Map<string, WebhookSubscription>();
  private readonly limits = new Map<string, number>();

  /**
   * `rate_limit_per_second` of every subscription that has one, kept current by every write: give it to the
   * `MemoryDeliveryStore` of the same module so that its claims keep the limits.
   */
  get rateLimits(): ReadonlyMap<string, number> {
    return this.limits;
  }

  async create(sub: WebhookSubscription): Promise<WebhookSubscription> {
    if (this.subs.has(sub.subscription_id)) {
      throw new InvalidSubscriptionError(`subscription ${sub.subscription_id} already exists`);
    }
    this.store(sub);
    return cloneSubscription(sub);
  }

  async get(id: string): Promise<WebhookSubscription | null> {
    const sub = this.subs.get(id);
    return sub ? cloneSubscription(sub) : null;
  }

  async list(query: SubscriptionListQuery = {}): Promise<WebhookSubscription[]> {
    const active = query.active ?? ((query.active_only ?? true) ? true : undefined);
    const matches = [...this.subs.values()].filter(
      (s) =>
        (active === undefined || s.active === active) &&
        (query.tenant_id === undefined || s.tenant_id === query.tenant_id) &&
        (query.event_type === undefined || eventTypeMatches(s.event_types, query.event_type)),
    );
    return page(matches.sort(compareSubscriptions), query).map(cloneSubscription);
  }

  async count(query: Pick<SubscriptionListQuery, 'active' | 'tenant_id'> = {}): Promise<number> {
    let n = 0;
    for (const s of this.subs.values()) {
      if ((query.active === undefined || s.active === query.active) && (query.tenant_id === undefined || s.tenant_id === query.tenant_id)) n++;
    }
    return n;
  }

  async update(sub: WebhookSubscription): Promise<WebhookSubscription | null> {
    if (!this.subs.has(sub.subscription_id)) return null;
    this.store(sub);
    return cloneSubscription(sub);
  }

  async delete(id: string): Promise<boolean> {
    this.limits.delete(id);
    return this.subs.delete(id);
  }

  private store(sub: WebhookSubscription): void {
    this.subs.set(sub.subscription_id, cloneSubscription(sub));
    if (sub.rate_limit_per_second != null) this.limits.set(sub.subscription_id, sub.rate_limit_per_second);
    else this.limits.delete(sub.subscription_id);
  }
}
