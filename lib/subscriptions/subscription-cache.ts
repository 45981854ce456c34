import { Injectable, Logger } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import { matchesFilter } from '../domain/filter/filter-evaluation';
import type { FilterSubject } from '../domain/filter/webhook-filter';
import type { StoreCapabilities } from '../domain/store-backend';
import { isLocallyIndexed, type LocallyIndexedSubscriptions } from '../domain/subscription-store';
import type { SubscriptionIndexEntry, WebhookSubscriptionStore } from '../domain/stores';
import { indexEntryOf } from '../domain/subscription-index';
import type { StoredEvent, WebhookSubscription } from '../domain/types';
import { SecretDecryptionError } from '../domain/webhook.error';
import { InjectWebhookConfig, InjectWebhookSubscriptionStore } from '../webhook.constants';
import { InjectStoreCapabilities } from '../webhook-stores';
import { LruMap } from './lru-map';
import { SubscriptionSnapshot } from './subscription-snapshot';

/** Full subscriptions (url, secrets) kept for sending, most recently used first. */
const RECORDS_KEPT = 50_000;

/** What {@link SubscriptionCache.match} reads of an event: its stored form. */
export type MatchableEvent = Pick<StoredEvent, 'event_type' | 'source' | 'body'>;

function filterSubject(event: MatchableEvent, tenantId: string | null): FilterSubject {
  return { event_type: event.event_type, source: event.source, tenant_id: tenantId, payload: (JSON.parse(event.body) as { payload: unknown }).payload };
}

/** Those of `candidates` whose `filter`, if any, `event` passes (the payload is parsed once, only if one has a filter). */
function filtered(candidates: readonly SubscriptionIndexEntry[], event: MatchableEvent, tenantId: string | null): readonly SubscriptionIndexEntry[] {
  let subject: FilterSubject | undefined;
  for (const s of candidates) {
    if (s.filter) return candidates.filter((c) => !c.filter || matchesFilter(c.filter, (subject ??= filterSubject(event, tenantId))));
  }
  return candidates;
}

/**
 * How this process finds subscriptions: which ones receive an event (`match`: by tenant and event type from an
 * index, then by each one's `filter`), and one by id for a send (`get`).
 * - A database store (with `subscription_cache_ms` > 0) is mirrored by a {@link SubscriptionSnapshot} of the
 *   active subscriptions' index entries, loaded once at start-up and then kept current from the change log:
 *   every `subscription_cache_ms` (and at once when PostgreSQL notifies a change).
 * - A store with a local subscription index (the memory store) is its own index: matching goes to it.
 * - Either way full records are kept for sending in a bounded LRU, dropped when the change log (or a write made
 *   through this process, at once) says they changed.
 * - With `subscription_cache_ms: 0` every call reads the store.
 * The runtime host starts and stops it.
 */
@Injectable()
export class SubscriptionCache {
  private readonly logger = new Logger(SubscriptionCache.name);
  private readonly snapshot: SubscriptionSnapshot | null;
  /** The store, when it is its own index in this process (matched in place). */
  private readonly local: LocallyIndexedSubscriptions | null;
  /** Whether the snapshot keeps an index to match from (not for a store with an index of its own). */
  private readonly snapshotMatches: boolean;
  private readonly records = new LruMap<string, WebhookSubscription>(RECORDS_KEPT);
  /**
   * Ids asked for in this tick and not kept: read together at its end. A new map per tick, not one cleared: a
   * long-lived map cleared every tick rebuilds its table, and once a table is old each new one stays reachable from
   * it until a full collection, with the readers it holds.
   */
  private missing = new Map<string, Deferred<WebhookSubscription | null>>();
  /**
   * Records dropped so far (changed, or deleted): a read that began before a drop may hold the row as it was before
   * the change, so it answers its readers but is not kept.
   */
  private drops = 0;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @InjectWebhookSubscriptionStore() private readonly store: WebhookSubscriptionStore,
    @InjectStoreCapabilities() capabilities: Pick<StoreCapabilities, 'localSubscriptionIndex'>,
  ) {
    // A store with its own index matches from it: the snapshot then only follows the change log, for `records`.
    this.local = capabilities.localSubscriptionIndex && isLocallyIndexed(store) ? store : null;
    this.snapshotMatches = !capabilities.localSubscriptionIndex;
    this.snapshot = config.subscription_cache_ms > 0 ? new SubscriptionSnapshot(store, this.logger, this.snapshotMatches) : null;
  }

  /** Starts loading the snapshot (dispatches ask the store meanwhile) and following the change log. */
  start(): void {
    if (!this.snapshot) return;
    this.polling = this.poll();
  }

  /** Stops following the change log; waits for a read under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.polling;
  }

  /**
   * The active subscriptions that receive `event`: its event type (and of `tenantId` only, when given), and
   * whose `filter`, if any, it passes. The filter sees the payload as receivers get it (the body's JSON, parsed
   * once per event, only when a candidate has a filter).
   */
  async match(event: MatchableEvent, tenantId: string | null): Promise<readonly SubscriptionIndexEntry[]> {
    return this.matchNow(event, tenantId) ?? filtered((await this.store.match({ event_type: event.event_type, tenant_id: tenantId })).map(indexEntryOf), event, tenantId);
  }

  /** {@link match} when it can answer from this process's memory (the store's own index, or a loaded snapshot); else null. */
  matchNow(event: MatchableEvent, tenantId: string | null): readonly SubscriptionIndexEntry[] | null {
    if (this.local) return filtered(this.local.matchEntries(event.event_type, tenantId), event, tenantId);
    if (this.snapshotMatches && this.snapshot?.ready) return filtered(this.snapshot.match(event.event_type, tenantId), event, tenantId);
    return null;
  }

  /**
   * A subscription as recently known (null when deleted). Those not kept that are asked for in the same tick (the
   * sends one claim or one dispatch starts) are read together, in one query.
   */
  get(id: string): Promise<WebhookSubscription | null> {
    if (this.config.subscription_cache_ms <= 0) return this.store.get(id);
    const kept = this.records.get(id);
    if (kept) return Promise.resolve(kept);
    let reading = this.missing.get(id);
    if (!reading) {
      if (this.missing.size === 0) queueMicrotask(() => this.readMissing());
      this.missing.set(id, (reading = deferred()));
    }
    return reading.promise;
  }

  /** {@link get} when the subscription is kept here (no read, no promise: a send's hot path); else undefined. */
  kept(id: string): WebhookSubscription | undefined {
    return this.config.subscription_cache_ms > 0 ? this.records.get(id) : undefined;
  }

  private readMissing(): void {
    const batch = this.missing;
    this.missing = new Map();
    const drops = this.drops;
    this.store.getMany([...batch.keys()]).then(
      (subs) => {
        const found = new Map(subs.map((sub) => [sub.subscription_id, sub]));
        if (drops === this.drops) for (const sub of subs) this.records.set(sub.subscription_id, sub);
        for (const [id, reading] of batch) reading.resolve(found.get(id) ?? null);
      },
      (err: unknown) => {
        // One row that cannot be decrypted (secret_encryption_keys) fails only its own readers: the others are read one by one.
        if (err instanceof SecretDecryptionError && batch.size > 1) for (const [id, reading] of batch) this.readOne(id, reading);
        else for (const reading of batch.values()) reading.reject(err);
      },
    );
  }

  private readOne(id: string, reading: Deferred<WebhookSubscription | null>): void {
    const drops = this.drops;
    this.store.get(id).then(
      (sub) => {
        if (sub && drops === this.drops) this.records.set(id, sub);
        reading.resolve(sub);
      },
      (err: unknown) => reading.reject(err),
    );
  }

  /** This process wrote `sub` (null: deleted `id`): apply it now, before the change log brings it. */
  changed(id: string, sub: WebhookSubscription | null): void {
    this.drop(id);
    this.snapshot?.applyLocal(id, sub?.active ? indexEntryOf(sub) : null);
  }

  /** Another process may have changed subscriptions (a notification): follow the change log now. */
  refresh(): void {
    if (!this.snapshot?.ready || this.stopped) return;
    this.followChanges().catch((err) => this.logger.error(`reading subscription changes failed (the next poll retries): ${(err as Error).message}`));
  }

  /** Loads the snapshot until it is loaded, then follows the change log, every `subscription_cache_ms`. */
  private async poll(): Promise<void> {
    try {
      if (!this.snapshot!.ready) await this.snapshot!.load();
      else await this.followChanges();
    } catch (err) {
      this.logger.error(`reading subscription changes failed (retrying in ${this.config.subscription_cache_ms} ms): ${(err as Error).message}`);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.polling = this.poll();
    }, this.config.subscription_cache_ms);
  }

  private async followChanges(): Promise<void> {
    for (const id of await this.snapshot!.refresh()) this.drop(id);
  }

  private drop(id: string): void {
    this.records.delete(id);
    this.drops++;
  }
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}
