import type { WebhookReplayStore } from './webhook-replay.store';

/** Options of {@link MemoryReplayStore}. */
export interface MemoryReplayStoreOptions {
  /** Most ids kept; past it the oldest go first. Default 100,000 (a few MB). */
  max_entries?: number;
  /** The current time (tests). Default `() => new Date()`. */
  now?: () => Date;
}

/**
 * The default replay store: ids in this process's memory, so it protects one receiver process (use a shared
 * store such as `TypeOrmReplayStore` across replicas). Expired ids are dropped as new ones arrive; no timer runs.
 * Bounded: past `max_entries` the oldest ids are forgotten first.
 */
export class MemoryReplayStore implements WebhookReplayStore {
  /** id -> expiry (ms), in insertion order: arrivals come roughly in expiry order, so the oldest sit in front. */
  private readonly entries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly now: () => Date;

  constructor(options: MemoryReplayStoreOptions = {}) {
    const max = options.max_entries ?? 100_000;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`max_entries must be an integer >= 1 (got ${String(max)})`);
    this.maxEntries = max;
    this.now = options.now ?? (() => new Date());
  }

  /** How many ids are held (expired ones included until they are dropped). */
  get size(): number {
    return this.entries.size;
  }

  /** {@inheritDoc WebhookReplayStore.remember} */
  async remember(id: string, expires_at: Date): Promise<boolean> {
    const now = this.now().getTime();
    this.dropExpiredFront(now);
    const known = this.entries.get(id);
    if (known !== undefined && known > now) return false;
    // Re-inserted at the back, so the front stays the oldest.
    this.entries.delete(id);
    this.entries.set(id, expires_at.getTime());
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    return true;
  }

  /** {@inheritDoc WebhookReplayStore.forget} */
  async forget(id: string): Promise<void> {
    this.entries.delete(id);
  }

  private dropExpiredFront(now: number): void {
    for (const [id, expires] of this.entries) {
      if (expires > now) return;
      this.entries.delete(id);
    }
  }
}
