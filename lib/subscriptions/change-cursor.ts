import type { SubscriptionChange } from '../domain/stores';

/**
 * Where a process stands in the subscription change log. Change ids increase, but a write may commit after a
 * later one (its id then shows up late) or roll back (its id never shows up): the cursor's `position` is the
 * highest id below which every change has been seen, and changes above it that were already taken are skipped
 * when read again. An id missing for `gapTimeoutMs` is given up on (a rolled-back write). Pure: the clock is
 * passed in.
 */
export class ChangeCursor {
  private contiguous: number;
  private readonly taken = new Set<number>();
  /** Missing ids, with when they were first found missing. */
  private readonly gaps = new Map<number, number>();
  private highest: number;

  constructor(
    start: number,
    private readonly gapTimeoutMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.contiguous = start;
    this.highest = start;
  }

  /** Read changes after this id. */
  get position(): number {
    return this.contiguous;
  }

  /** Takes changes read from the log (oldest first); returns the subscription ids not taken before. */
  accept(changes: readonly SubscriptionChange[]): string[] {
    const fresh: string[] = [];
    for (const { change_id: id, subscription_id } of changes) {
      if (id <= this.contiguous || this.taken.has(id)) continue;
      this.taken.add(id);
      this.gaps.delete(id);
      if (id > this.highest) this.highest = id;
      fresh.push(subscription_id);
    }
    this.advance();
    return fresh;
  }

  private advance(): void {
    const now = this.now();
    for (let next = this.contiguous + 1; next <= this.highest; next++) {
      if (this.taken.delete(next)) {
        this.contiguous = next;
        continue;
      }
      const missingSince = this.gaps.get(next);
      if (missingSince === undefined) this.gaps.set(next, now);
      if (missingSince === undefined || now - missingSince < this.gapTimeoutMs) break;
      this.gaps.delete(next);
      this.contiguous = next;
    }
  }
}
