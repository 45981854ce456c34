import type { WebhookFilter } from './filter/webhook-filter';
import type { WebhookSubscription } from './types';

/** Filters of {@link WebhookSubscriptionStore.list}. */
export interface SubscriptionListQuery {
  /** Only active subscriptions (default true). */
  active_only?: boolean;
  /** Exactly this active state (overrides `active_only`). */
  active?: boolean;
  /** Subscriptions that would receive this event type (null event_types, exact name or wildcard). */
  event_type?: string;
  /** Only this customer's. */
  tenant_id?: string;
  /** Default 100. */
  limit?: number;
  /** Default 0. Prefer `after`: an offset costs what it skips. */
  offset?: number;
  /** Keyset paging: only subscriptions listed after this one (the last of the previous page). */
  after?: SubscriptionCursor;
}

/** Where a subscription stands in list order (created_at, then id). */
export interface SubscriptionCursor {
  /** `created_at` of the last one seen. */
  created_at: Date;
  /** Id of the last one seen. */
  subscription_id: string;
}

/**
 * What a process-local index of subscriptions holds (see `SubscriptionIndex`): what `dispatch()` needs to know of
 * an active subscription to match an event to it and to hand the delivery over (null where not set).
 */
export interface SubscriptionIndexEntry {
  /** The subscription. */
  subscription_id: string;
  /** Its customer. */
  tenant_id: string | null;
  /** Its event types; null for all. */
  event_types: string[] | null;
  /** Its payload filter. */
  filter: WebhookFilter | null;
  /** Its concurrency override. */
  max_concurrent_per_endpoint: number | null;
  /** Its rate limit. */
  rate_limit_per_second: number | null;
  /** Whether it delivers in order. */
  ordered: boolean;
}

/** One change to a subscription (created, updated or deleted), in the order they were written. */
export interface SubscriptionChange {
  /** Increasing (gaps are possible: a rolled-back write, or one not committed yet). */
  change_id: number;
  /** The subscription that changed. */
  subscription_id: string;
}

/** Persistence of subscriptions. Implementations: memory, TypeORM. */
export interface WebhookSubscriptionStore {
  /** Stores a new subscription. */
  create(sub: WebhookSubscription): Promise<WebhookSubscription>;
  /** Creates several at once, all or nothing (one transaction); a repeated or existing id refuses them all. */
  createMany(subs: readonly WebhookSubscription[]): Promise<WebhookSubscription[]>;
  /** One subscription, or null. */
  get(id: string): Promise<WebhookSubscription | null>;
  /** The subscriptions of these ids that exist, in no particular order (one query for many: sending reads them). */
  getMany(ids: readonly string[]): Promise<WebhookSubscription[]>;
  /** Oldest first (created_at, then id) so paging is stable; page by `after` so that every page costs the same. */
  list(query?: SubscriptionListQuery): Promise<WebhookSubscription[]>;
  /** How many match. */
  count(query?: Pick<SubscriptionListQuery, 'active' | 'tenant_id'>): Promise<number>;
  /** Replaces the stored subscription; returns null when it does not exist. */
  update(sub: WebhookSubscription): Promise<WebhookSubscription | null>;
  /** True when something was deleted. */
  delete(id: string): Promise<boolean>;
  /**
   * The active subscriptions that receive an event of `event_type` (of `tenant_id` only, when not null), from an
   * index: its cost follows the matches, not the subscriptions that cannot match (a tenant's subscriptions are
   * found by tenant). Order unspecified.
   */
  match(query: { event_type: string; tenant_id: string | null }): Promise<WebhookSubscription[]>;
  /** Index entries of the active subscriptions, by id after `after` (keyset), `limit` at most: to build an index. */
  scanActive(after: string | null, limit: number): Promise<SubscriptionIndexEntry[]>;
  /** The index entries of those of `ids` that exist and are active. */
  activeEntries(ids: readonly string[]): Promise<SubscriptionIndexEntry[]>;
  /** Changes written after change `after` (0: from the oldest kept), oldest first, `limit` at most. */
  changesSince(after: number, limit: number): Promise<SubscriptionChange[]>;
  /** The newest change id (0 when none): where to follow changes from. */
  lastChangeId(): Promise<number>;
  /** Deletes changes written before `before`; returns how many. */
  purgeChanges(before: Date): Promise<number>;
  /**
   * Stores that keep secrets at rest encrypted (`secret_encryption_keys`): re-encrypts every stored secret and
   * header value with the first key; returns how many subscriptions were rewritten. Absent: nothing is kept at
   * rest (the memory store).
   */
  reencryptSecrets?(): Promise<number>;
}

/**
 * A subscription store whose index is in this process's memory (the memory store), which the module's own matching
 * reads in place: no copy per match.
 */
export interface LocallyIndexedSubscriptions {
  /** What `match()` finds, as the store's own entries: to be read, never changed or kept. */
  matchEntries(eventType: string, tenantId: string | null): readonly SubscriptionIndexEntry[];
}

/** Whether `store` can be matched in place (see {@link LocallyIndexedSubscriptions}). */
export function isLocallyIndexed(store: object): store is LocallyIndexedSubscriptions {
  return typeof (store as Partial<LocallyIndexedSubscriptions>).matchEntries === 'function';
}
