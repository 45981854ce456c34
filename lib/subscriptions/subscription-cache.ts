import { Injectable } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import { eventTypeMatches } from '../domain/event-type';
import type { SubscriptionListQuery, WebhookSubscriptionStore } from '../domain/stores';
import { matchesFilter } from '../domain/filter/filter-evaluation';
import type { FilterSubject } from '../domain/filter/webhook-filter';
import type { StoredEvent, WebhookSubscription } from '../domain/types';
import { MAX_PAGE_LIMIT } from '../stores/store.utils';
import { InjectWebhookConfig, InjectWebhookSubscriptionStore } from '../webhook.constants';

/** What {@link SubscriptionCache.match} reads of an event: its stored form. */
export type MatchableEvent = Pick<StoredEvent, 'event_type' | 'source' | 'body'>;

function filterSubject(event: MatchableEvent, tenantId: string | null): FilterSubject {
  return { event_type: event.event_type, source: event.source, tenant_id: tenantId, payload: (JSON.parse(event.body) as { payload: unknown }).payload };
}

/**
 * The active subscriptions, read from the store at most once per `subscription_cache_ms` and shared by every
 * dispatch and send of this process: matching an event then costs no query. With `subscription_cache_ms: 0`
 * the store is asked on every dispatch; either way the same rules pick the subscriptions (`match`). `invalidate()` (called on every
 * change made through this process) makes the next read fresh.
 */
@Injectable()
export class SubscriptionCache {
  private snapshot: { at: number; byId: Map<string, WebhookSubscription> } | null = null;
  private loading: Promise<Map<string, WebhookSubscription>> | null = null;
  private generation = 0;

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @InjectWebhookSubscriptionStore() private readonly store: WebhookSubscriptionStore,
  ) {}

  /**
   * The active subscriptions that receive `event`: its event type (and of `tenantId` only, when given), and
   * whose `filter`, if any, it passes. The filter sees the payload as receivers get it (the body's JSON, parsed
   * once per event, only when a candidate has a filter).
   */
  async match(event: MatchableEvent, tenantId: string | null): Promise<WebhookSubscription[]> {
    const eventType = event.event_type;
    const candidates = this.config.subscription_cache_ms <= 0 ? await this.listActive({ event_type: eventType, tenant_id: tenantId ?? undefined }) : (await this.active()).values();
    const out: WebhookSubscription[] = [];
    let subject: FilterSubject | undefined;
    for (const s of candidates) {
      if (tenantId !== null && s.tenant_id !== tenantId) continue;
      if (!eventTypeMatches(s.event_types, eventType)) continue;
      if (s.filter && !matchesFilter(s.filter, (subject ??= filterSubject(event, tenantId)))) continue;
      out.push(s);
    }
    return out;
  }

  /** A subscription as recently known: from the snapshot when it is active there, else from the store. */
  async get(id: string): Promise<WebhookSubscription | null> {
    if (this.config.subscription_cache_ms > 0) {
      const hit = (await this.active()).get(id);
      if (hit) return hit;
    }
    return this.store.get(id);
  }

  /** Forget the snapshot: the next read goes to the store. */
  invalidate(): void {
    this.generation++;
    this.snapshot = null;
    this.loading = null;
  }

  private async active(): Promise<Map<string, WebhookSubscription>> {
    if (this.snapshot && Date.now() - this.snapshot.at < this.config.subscription_cache_ms) return this.snapshot.byId;
    if (!this.loading) {
      const generation = this.generation;
      const at = Date.now();
      const loading: Promise<Map<string, WebhookSubscription>> = this.load()
        .then((byId) => {
          // A change made while loading may be missing from what was read: keep it only if none happened.
          if (generation === this.generation) this.snapshot = { at, byId };
          return byId;
        })
        .finally(() => {
          if (this.loading === loading) this.loading = null;
        });
      this.loading = loading;
    }
    return this.loading;
  }

  private async load(): Promise<Map<string, WebhookSubscription>> {
    return new Map((await this.listActive({})).map((s) => [s.subscription_id, s]));
  }

  /** Every active subscription matching the filters, read page by page. */
  private async listActive(filters: Pick<SubscriptionListQuery, 'event_type' | 'tenant_id'>): Promise<WebhookSubscription[]> {
    const all: WebhookSubscription[] = [];
    for (let offset = 0; ; offset += MAX_PAGE_LIMIT) {
      const page = await this.store.list({ ...filters, active: true, limit: MAX_PAGE_LIMIT, offset });
      all.push(...page);
      if (page.length < MAX_PAGE_LIMIT) return all;
    }
  }
}
