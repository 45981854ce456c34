import { Injectable } from '@nestjs/common';
import { eventTypeMatches } from '../../domain/event-type';
import type { SubscriptionChange, SubscriptionCursor, SubscriptionIndexEntry, SubscriptionListQuery, WebhookSubscriptionStore } from '../../domain/stores';
import { SubscriptionIndex, indexEntryOf } from '../../domain/subscription-index';
import type { WebhookSubscription } from '../../domain/types';
import { InvalidSubscriptionError } from '../../domain/webhook.error';
import { cloneSubscription, compareSubscriptions, pageBounds, storedSubscription, type StoredSubscription } from '../store.utils';
import { SortedList } from './sorted-list';

/**
 * Subscriptions in process memory (for tests and single-process apps; lost on restart), indexed so that matching
 * an event costs what its matches cost (`SubscriptionIndex`) and every list page costs the same (keyset order,
 * overall and per tenant).
 */
@Injectable()
export class MemorySubscriptionStore implements WebhookSubscriptionStore {
  private readonly subs = new Map<string, StoredSubscription>();
  private readonly byCreation = new SortedList<SubscriptionCursor>(compareSubscriptions as (a: SubscriptionCursor, b: SubscriptionCursor) => number);
  private readonly byTenant = new Map<string, SortedList<SubscriptionCursor>>();
  /** The active ones, for matching. */
  private readonly active = new SubscriptionIndex<StoredSubscription>();
  /** Ids in order, built when a scan needs them (scans are rare here: the memory backend matches in place). */
  private idsInOrder: string[] | null = null;
  /** The change log (time in ms: a Date per entry would cost more than the entry). */
  private readonly changes: Array<SubscriptionChange & { at: number }> = [];
  private nextChangeId = 1;
  /** `rate_limit_per_second` of the subscriptions that have one. */
  private readonly limits = new Map<string, number>();

  /**
   * `rate_limit_per_second` of every subscription that has one, kept current by every write: give it to the
   * `MemoryDeliveryStore` of the same module so that its claims keep the limits.
   */
  get rateLimits(): ReadonlyMap<string, number> {
    return this.limits;
  }

  async create(sub: WebhookSubscription): Promise<WebhookSubscription> {
    return (await this.createMany([sub]))[0];
  }

  async createMany(subs: readonly WebhookSubscription[]): Promise<WebhookSubscription[]> {
    const ids = new Set<string>();
    for (const sub of subs) {
      if (this.subs.has(sub.subscription_id) || ids.has(sub.subscription_id)) throw new InvalidSubscriptionError(`subscription ${sub.subscription_id} already exists`);
      ids.add(sub.subscription_id);
    }
    for (const sub of subs) this.put(storedSubscription(sub));
    return subs.map(cloneSubscription);
  }

  async get(id: string): Promise<WebhookSubscription | null> {
    const sub = this.subs.get(id);
    return sub ? cloneSubscription(sub) : null;
  }

  async getMany(ids: readonly string[]): Promise<WebhookSubscription[]> {
    return [...new Set(ids)].flatMap((id) => {
      const sub = this.subs.get(id);
      return sub ? [cloneSubscription(sub)] : [];
    });
  }

  async list(query: SubscriptionListQuery = {}): Promise<WebhookSubscription[]> {
    const { limit, offset } = pageBounds(query);
    if (limit === 0) return [];
    const active = query.active ?? ((query.active_only ?? true) ? true : undefined);
    const source = query.tenant_id === undefined ? this.byCreation : this.byTenant.get(query.tenant_id);
    const out: WebhookSubscription[] = [];
    let skipped = 0;
    for (const key of source?.from(query.after) ?? []) {
      const s = this.subs.get(key.subscription_id)!;
      if ((active !== undefined && s.active !== active) || (query.event_type !== undefined && !eventTypeMatches(s.event_types, query.event_type))) continue;
      if (skipped++ < offset) continue;
      out.push(cloneSubscription(s));
      if (out.length >= limit) break;
    }
    return out;
  }

  async count(query: Pick<SubscriptionListQuery, 'active' | 'tenant_id'> = {}): Promise<number> {
    if (query.active === true && query.tenant_id === undefined) return this.active.size;
    let n = 0;
    for (const s of this.subs.values()) {
      if ((query.active === undefined || s.active === query.active) && (query.tenant_id === undefined || s.tenant_id === query.tenant_id)) n++;
    }
    return n;
  }

  async update(sub: WebhookSubscription): Promise<WebhookSubscription | null> {
    const old = this.subs.get(sub.subscription_id);
    if (!old) return null;
    this.unput(old);
    this.put(storedSubscription(sub));
    return cloneSubscription(sub);
  }

  async delete(id: string): Promise<boolean> {
    const old = this.subs.get(id);
    if (!old) return false;
    this.unput(old);
    this.changed(id);
    return true;
  }

  async match(query: { event_type: string; tenant_id: string | null }): Promise<WebhookSubscription[]> {
    return this.active.match(query.event_type, query.tenant_id).map(cloneSubscription);
  }

  /**
   * What {@link match} finds, as the stored records themselves, to be read only (a write replaces a record, never
   * changes it): the module's own matching, without a copy per match.
   */
  matchEntries(eventType: string, tenantId: string | null): readonly SubscriptionIndexEntry[] {
    return this.active.match(eventType, tenantId);
  }

  async scanActive(after: string | null, limit: number): Promise<SubscriptionIndexEntry[]> {
    const ids = (this.idsInOrder ??= [...this.subs.keys()].sort());
    const out: SubscriptionIndexEntry[] = [];
    for (let i = after === null ? 0 : upperBound(ids, after); i < ids.length && out.length < limit; i++) {
      const s = this.subs.get(ids[i]);
      if (s?.active) out.push(entry(s));
    }
    return out;
  }

  async activeEntries(ids: readonly string[]): Promise<SubscriptionIndexEntry[]> {
    return ids.flatMap((id) => {
      const s = this.active.get(id);
      return s ? [entry(s)] : [];
    });
  }

  async changesSince(after: number, limit: number): Promise<SubscriptionChange[]> {
    // Change ids are consecutive here: the first one after `after` is at a known distance from the oldest kept.
    const first = this.changes.length === 0 ? 0 : Math.max(0, after + 1 - this.changes[0].change_id);
    return this.changes.slice(first, first + limit).map(({ change_id, subscription_id }) => ({ change_id, subscription_id }));
  }

  async lastChangeId(): Promise<number> {
    return this.nextChangeId - 1;
  }

  async purgeChanges(before: Date): Promise<number> {
    let n = 0;
    while (n < this.changes.length && this.changes[n].at < before.getTime()) n++;
    this.changes.splice(0, n);
    return n;
  }

  /** Stores a subscription (not stored yet) in every structure, and logs the change. */
  private put(sub: StoredSubscription): void {
    this.subs.set(sub.subscription_id, sub);
    this.byCreation.insert(sub);
    if (sub.tenant_id !== null) {
      let tenant = this.byTenant.get(sub.tenant_id);
      if (!tenant) this.byTenant.set(sub.tenant_id, (tenant = new SortedList(compareSubscriptions as (a: SubscriptionCursor, b: SubscriptionCursor) => number)));
      tenant.insert(sub);
    }
    if (sub.active) this.active.set(sub);
    if (sub.rate_limit_per_second != null) this.limits.set(sub.subscription_id, sub.rate_limit_per_second);
    this.idsInOrder = null;
    this.changed(sub.subscription_id);
  }

  /** Removes a stored subscription from every structure. */
  private unput(sub: StoredSubscription): void {
    this.subs.delete(sub.subscription_id);
    this.byCreation.remove(sub);
    if (sub.tenant_id !== null) {
      const tenant = this.byTenant.get(sub.tenant_id);
      tenant?.remove(sub);
      if (tenant?.length === 0) this.byTenant.delete(sub.tenant_id);
    }
    this.active.delete(sub.subscription_id);
    this.limits.delete(sub.subscription_id);
    this.idsInOrder = null;
  }

  private changed(subscriptionId: string): void {
    this.changes.push({ change_id: this.nextChangeId++, subscription_id: subscriptionId, at: Date.now() });
  }

  private store(sub: WebhookSubscription): void {
    this.subs.set(sub.subscription_id, storedSubscription(sub));
    if (sub.rate_limit_per_second != null) this.limits.set(sub.subscription_id, sub.rate_limit_per_second);
    else this.limits.delete(sub.subscription_id);
  }
}

function entry(s: WebhookSubscription): SubscriptionIndexEntry {
  return indexEntryOf(cloneSubscription(s));
}

/** Index of the first id after `id` in sorted `ids`. */
function upperBound(ids: readonly string[], id: string): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] <= id) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
