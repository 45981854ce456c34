import { isDeepStrictEqual } from 'node:util';
import type { WebhookLogger } from '../domain/logger';
import type { SubscriptionIndexEntry, WebhookSubscriptionStore } from '../domain/stores';
import { SubscriptionIndex } from '../domain/subscription-index';
import { ChangeCursor } from './change-cursor';
import { LruMap } from './lru-map';

/** Index entries read per page while loading. */
const LOAD_PAGE = 2000;
/** Changes read per page while following the log. */
const CHANGES_PAGE = 1000;
/** How long a change id may stay missing before it is taken for a rolled-back write, ms. */
const GAP_TIMEOUT_MS = 30_000;
/** Distinct event type lists remembered for sharing (most subscriptions have one of a few lists). */
const TYPE_LISTS_KEPT = 1000;

/**
 * A process-local index of the active subscriptions of a database store: loaded once, page by page, then kept
 * current by following the change log (`changesSince`), never by reloading everything. Matching an event reads
 * the index as it is; a refresh runs beside it, so a dispatch never waits for one. Until the first load is done
 * (`ready` false) callers ask the store.
 */
export class SubscriptionSnapshot {
  private readonly index = new SubscriptionIndex<SubscriptionIndexEntry>();
  private cursor: ChangeCursor | null = null;
  private loading: Promise<void> | null = null;
  private refreshing: Promise<string[]> | null = null;
  private refreshAgain = false;
  /** Bumped by each local write of a subscription, so a refresh that read it earlier does not undo it. */
  private readonly localWrites = new Map<string, number>();
  private writes = 0;
  /** Event type lists indexed lately, by their JSON: equal lists share one (frozen) array. */
  private readonly typeLists = new LruMap<string, readonly string[]>(TYPE_LISTS_KEPT);

  constructor(
    private readonly store: WebhookSubscriptionStore,
    private readonly logger: WebhookLogger,
    /** False: follow the change log only (for a store that matches from an index of its own). */
    private readonly keepIndex = true,
  ) {}

  /** Whether the first load is done. */
  get ready(): boolean {
    return this.cursor !== null;
  }

  get size(): number {
    return this.index.size;
  }

  /** The active subscriptions receiving `eventType` (of `tenantId` only, when given), as indexed. */
  match(eventType: string, tenantId: string | null): SubscriptionIndexEntry[] {
    return this.index.match(eventType, tenantId);
  }

  /**
   * Loads every active subscription, page by page, then follows the change log from where it stood when the
   * load began (so writes made during the load are not lost). Concurrent calls share one load.
   */
  load(): Promise<void> {
    this.loading ??= this.loadAll().finally(() => (this.loading = null));
    return this.loading;
  }

  /**
   * Applies the changes logged since the last refresh; returns the ids that changed (for the caller's other
   * caches). Concurrent calls share one refresh, and a call during a refresh runs another after it.
   */
  async refresh(): Promise<string[]> {
    if (!this.cursor) return [];
    if (this.refreshing) {
      this.refreshAgain = true;
      return this.refreshing;
    }
    const run = async (): Promise<string[]> => {
      const changed: string[] = [];
      do {
        this.refreshAgain = false;
        changed.push(...(await this.followChanges()));
      } while (this.refreshAgain);
      return changed;
    };
    this.refreshing = run().finally(() => (this.refreshing = null));
    return this.refreshing;
  }

  /** A write made by this process: applied at once (the change log confirms it later). */
  applyLocal(subscriptionId: string, entry: SubscriptionIndexEntry | null): void {
    this.localWrites.set(subscriptionId, ++this.writes);
    if (entry) this.put(entry);
    else this.index.delete(subscriptionId);
  }

  /**
   * Indexes `entry` (made for the index alone: its fields are taken over), sharing what the index already holds.
   * A million entries from database rows would otherwise each carry their own copy of their tenant's id and of
   * an event type list most of them have in common (a third of a fresh replica's heap), and an entry the change
   * log brings back unchanged (every write of this process comes back) would replace an equal one, its id a
   * second copy of the text the index keys it by.
   */
  private put(entry: SubscriptionIndexEntry): void {
    const old = this.index.get(entry.subscription_id);
    if (old !== undefined && isDeepStrictEqual(old, entry)) return;
    if (old !== undefined) entry.subscription_id = old.subscription_id;
    entry.tenant_id = this.index.tenantKey(entry.tenant_id);
    if (entry.event_types !== null) entry.event_types = this.sharedTypes(entry.event_types);
    this.index.set(entry);
  }

  private sharedTypes(types: string[]): string[] {
    const key = JSON.stringify(types);
    let shared = this.typeLists.get(key);
    if (shared === undefined) this.typeLists.set(key, (shared = Object.freeze([...types])));
    // Frozen: the entries that share it are read, never written.
    return shared as string[];
  }

  private async loadAll(): Promise<void> {
    const start = await this.store.lastChangeId();
    const started = Date.now();
    this.index.clear();
    for (let after: string | null = null; this.keepIndex; ) {
      const page = await this.store.scanActive(after, LOAD_PAGE);
      for (const entry of page) this.put(entry);
      if (page.length < LOAD_PAGE) break;
      after = page[page.length - 1].subscription_id;
    }
    this.cursor = new ChangeCursor(start, GAP_TIMEOUT_MS);
    await this.refresh();
    if (this.index.size >= 10_000) this.logger.warn(`loaded ${this.index.size} active subscriptions in ${Date.now() - started} ms`);
  }

  private async followChanges(): Promise<string[]> {
    const cursor = this.cursor!;
    const changed: string[] = [];
    // From the cursor's position (it may re-read changes above a gap; they are skipped), then page on.
    for (let from = cursor.position; ; ) {
      const page = await this.store.changesSince(from, CHANGES_PAGE);
      const ids = [...new Set(cursor.accept(page))];
      if (ids.length > 0 && this.keepIndex) {
        const writesBefore = new Map(ids.map((id) => [id, this.localWrites.get(id)]));
        const active = new Map((await this.store.activeEntries(ids)).map((e) => [e.subscription_id, e]));
        for (const id of ids) {
          // Written here meanwhile: what was just read may be older than what is applied.
          if (this.localWrites.get(id) !== writesBefore.get(id)) continue;
          const entry = active.get(id);
          if (entry) this.put(entry);
          else this.index.delete(id);
        }
      }
      changed.push(...ids);
      if (page.length < CHANGES_PAGE) break;
      from = page[page.length - 1].change_id;
    }
    if (this.localWrites.size > 10_000) this.localWrites.clear();
    return changed;
  }
}
