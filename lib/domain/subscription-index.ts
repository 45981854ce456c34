import { eventTypeMatches } from './event-type';
import type { SubscriptionIndexEntry } from './stores';
import { subscriptionControls, type SubscriptionControls } from './subscription-controls';
import type { WebhookSubscription } from './types';

/** What the index needs of a subscription: its id, tenant and event types. */
export interface IndexedSubscription {
  subscription_id: string;
  tenant_id: string | null;
  /** Exact names and `*` patterns; null = every event type. */
  event_types: readonly string[] | null;
}

/**
 * Subscriptions indexed for matching events, so that matching costs what the matches cost, not what the
 * subscriptions that cannot match cost: by tenant, then by exact event type, with patterns kept apart (bucketed
 * by their literal prefix) and all-event subscriptions in a list of their own. An event with a tenant reaches
 * that tenant's subscriptions; one without reaches every subscription (the rule of `dispatch()`).
 */
export class SubscriptionIndex<T extends IndexedSubscription = IndexedSubscription> {
  private readonly byId = new Map<string, T>();
  /** Every subscription: for events without a tenant. */
  private readonly everyone = new TypeIndex();
  /** Each tenant's subscriptions: for events of that tenant. */
  private readonly byTenant = new Map<string, TypeIndex>();

  get size(): number {
    return this.byId.size;
  }

  get(subscriptionId: string): T | undefined {
    return this.byId.get(subscriptionId);
  }

  /**
   * `tenantId` as this index already holds it (the key of that tenant's subscriptions), or as given when it holds
   * none of that tenant's: entries made from database rows each carry their own copy of the same text, and a
   * caller that gives them this one keeps one string per tenant instead of one per subscription.
   */
  tenantKey(tenantId: string | null): string | null {
    return tenantId === null ? null : (this.byTenant.get(tenantId)?.tenant ?? tenantId);
  }

  values(): IterableIterator<T> {
    return this.byId.values();
  }

  /**
   * Adds a subscription, or replaces the one with its id. A replacement with the same tenant and event types (as
   * the change log brings back every write this process made) overwrites in place: a delete and an add would
   * leave a deleted slot in each Map and Set, and a process that created a million subscriptions then held tables
   * twice the size of a fresh replica's.
   */
  set(sub: T): void {
    const old = this.byId.get(sub.subscription_id);
    if (old !== undefined && old.tenant_id === sub.tenant_id && sameTypes(old.event_types, sub.event_types)) {
      this.byId.set(sub.subscription_id, sub);
      this.everyone.replace(sub);
      if (sub.tenant_id !== null) this.byTenant.get(sub.tenant_id)!.replace(sub);
      return;
    }
    if (old !== undefined) this.delete(sub.subscription_id);
    this.byId.set(sub.subscription_id, sub);
    this.everyone.add(sub);
    if (sub.tenant_id !== null) {
      let tenant = this.byTenant.get(sub.tenant_id);
      if (!tenant) this.byTenant.set(sub.tenant_id, (tenant = new TypeIndex(sub.tenant_id)));
      tenant.add(sub);
    }
  }

  /** True when it was there. */
  delete(subscriptionId: string): boolean {
    const old = this.byId.get(subscriptionId);
    if (!old) return false;
    this.byId.delete(subscriptionId);
    this.everyone.remove(subscriptionId, old.event_types);
    if (old.tenant_id !== null) {
      const tenant = this.byTenant.get(old.tenant_id)!;
      tenant.remove(subscriptionId, old.event_types);
      if (tenant.empty) this.byTenant.delete(old.tenant_id);
    }
    return true;
  }

  clear(): void {
    this.byId.clear();
    this.everyone.clear();
    this.byTenant.clear();
  }

  /** The subscriptions that receive `eventType` (of `tenantId` only, when given). */
  match(eventType: string, tenantId: string | null): T[] {
    const types = tenantId === null ? this.everyone : this.byTenant.get(tenantId);
    if (!types) return [];
    const out: T[] = [];
    for (const id of types.match(eventType)) out.push(this.byId.get(id)!);
    return out;
  }
}

/** Up to this many subscriptions a {@link TypeIndex} keeps them in a list and tests each; above, it buckets them. */
const LIST_LIMIT = 16;

/**
 * Subscription ids by the event types they receive. An index holds one of these per tenant, most with a handful
 * of subscriptions: up to {@link LIST_LIMIT} they sit in one list and an event tests each (a tenant of ten then
 * costs one small array, not the four Maps of the buckets, which made up a quarter of a million-subscription
 * index). Beyond that they go to buckets, made on first use.
 */
class TypeIndex {
  /** While small: the subscriptions themselves (null once the buckets hold them). */
  private list: IndexedSubscription[] | null = [];
  /** Subscriptions of all event types (`null`, or a `*` pattern). */
  private all: Set<string> | null = null;
  private exact: Map<string, Set<string>> | null = null;
  /**
   * Patterns by their literal prefix (the part before the first `*`): per id, the subscription's own list of
   * event types (matching it whole is right: its exact names are also found in `exact`).
   */
  private patterns: Map<string, Map<string, readonly string[]>> | null = null;
  /** The lengths of the prefixes in `patterns`, with how many prefixes have each. */
  private prefixLengths: Map<number, number> | null = null;
  private entries = 0;

  /** @param tenant the tenant whose subscriptions these are (null: every tenant's). */
  constructor(readonly tenant: string | null = null) {}

  get empty(): boolean {
    return this.entries === 0;
  }

  add(sub: IndexedSubscription): void {
    this.entries++;
    if (this.list !== null && this.list.length < LIST_LIMIT) {
      this.list.push(sub);
      return;
    }
    if (this.list !== null) {
      for (const listed of this.list) this.put(listed.subscription_id, listed.event_types);
      this.list = null;
    }
    this.put(sub.subscription_id, sub.event_types);
  }

  /** `sub` is here with the same event types: it takes the old one's place (no deleted slot in a bucket). */
  replace(sub: IndexedSubscription): void {
    if (this.list === null) return this.put(sub.subscription_id, sub.event_types);
    const at = this.list.findIndex((listed) => listed.subscription_id === sub.subscription_id);
    this.list[at] = sub;
  }

  private put(id: string, types: readonly string[] | null): void {
    if (types === null || types.includes('*')) {
      (this.all ??= new Set()).add(id);
      return;
    }
    for (const type of types) {
      const star = type.indexOf('*');
      if (star < 0) {
        const exact = (this.exact ??= new Map());
        let ids = exact.get(type);
        if (!ids) exact.set(type, (ids = new Set()));
        ids.add(id);
        continue;
      }
      const prefix = type.slice(0, star);
      const patterns = (this.patterns ??= new Map());
      let bucket = patterns.get(prefix);
      if (!bucket) {
        patterns.set(prefix, (bucket = new Map()));
        const lengths = (this.prefixLengths ??= new Map());
        lengths.set(prefix.length, (lengths.get(prefix.length) ?? 0) + 1);
      }
      bucket.set(id, types);
    }
  }

  remove(id: string, types: readonly string[] | null): void {
    this.entries--;
    if (this.list !== null) {
      this.list.splice(this.list.findIndex((listed) => listed.subscription_id === id), 1);
      return;
    }
    if (types === null || types.includes('*')) {
      this.all?.delete(id);
      return;
    }
    for (const type of types) {
      const star = type.indexOf('*');
      if (star < 0) {
        const ids = this.exact?.get(type);
        ids?.delete(id);
        if (ids?.size === 0) this.exact!.delete(type);
        continue;
      }
      const prefix = type.slice(0, star);
      const bucket = this.patterns?.get(prefix);
      if (!bucket) continue;
      bucket.delete(id);
      if (bucket.size === 0) {
        this.patterns!.delete(prefix);
        const n = this.prefixLengths!.get(prefix.length)! - 1;
        if (n === 0) this.prefixLengths!.delete(prefix.length);
        else this.prefixLengths!.set(prefix.length, n);
      }
    }
  }

  clear(): void {
    this.list = [];
    this.all = this.exact = this.patterns = this.prefixLengths = null;
    this.entries = 0;
  }

  /** Ids receiving `eventType`, each once. */
  match(eventType: string): Set<string> {
    if (this.list !== null) {
      const listed = new Set<string>();
      for (const sub of this.list) if (eventTypeMatches(sub.event_types, eventType)) listed.add(sub.subscription_id);
      return listed;
    }
    const out = new Set<string>(this.all);
    const exact = this.exact?.get(eventType);
    if (exact) for (const id of exact) out.add(id);
    if (!this.prefixLengths) return out;
    for (const length of this.prefixLengths.keys()) {
      if (length > eventType.length) continue;
      const bucket = this.patterns!.get(eventType.slice(0, length));
      if (!bucket) continue;
      for (const [id, types] of bucket) if (!out.has(id) && eventTypeMatches(types, eventType)) out.add(id);
    }
    return out;
  }
}

function sameTypes(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === b) return true;
  if (a === null || b === null || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * What a process-local index keeps of a subscription (see `SubscriptionIndexEntry`): from the subscription, or
 * from a row that holds at least these columns.
 */
export function indexEntryOf(sub: Pick<WebhookSubscription, 'subscription_id' | 'tenant_id' | 'event_types'> & Partial<SubscriptionControls>): SubscriptionIndexEntry {
  const { filter, max_concurrent_per_endpoint, rate_limit_per_second, ordered } = subscriptionControls(sub);
  return { subscription_id: sub.subscription_id, tenant_id: sub.tenant_id ?? null, event_types: sub.event_types ?? null, filter, max_concurrent_per_endpoint, rate_limit_per_second, ordered };
}
