/** Items moved one by one to insert near the end; a splice beyond. */
const NEAR_END = 64;

/**
 * An array kept in order by `compare`, for keyset paging in the memory stores: inserting is a binary search
 * (an append when items arrive in order, as they mostly do), and a page starts with a binary search for its
 * cursor, so page 500 costs what page 1 costs.
 */
export class SortedList<T> {
  private readonly items: T[] = [];

  constructor(private readonly compare: (a: T, b: T) => number) {}

  get length(): number {
    return this.items.length;
  }

  insert(item: T): void {
    const items = this.items;
    const n = items.length;
    if (n === 0 || this.compare(items[n - 1], item) <= 0) return void items.push(item);
    // Concurrent attempts end slightly out of order (those of one millisecond are ordered by their random ids): the
    // place is looked for from the end, moving the few after it along (a binary search over the whole list, then a
    // splice, took 1-2% of a memory-store profile at 64 in flight); beyond NEAR_END, a binary search and a splice.
    items.push(item);
    let i = n;
    for (; i > 0 && n - i < NEAR_END && this.compare(items[i - 1], item) >= 0; i--) items[i] = items[i - 1];
    if (i === 0 || this.compare(items[i - 1], item) < 0) {
      items[i] = item;
      return;
    }
    // Further back than NEAR_END: undo the moves, then insert where the search says.
    for (let j = i; j < n; j++) items[j] = items[j + 1];
    items.pop();
    items.splice(this.firstAfter(item, true), 0, item);
  }

  /** Removes the item equal to `item` by `compare`; false when absent. */
  remove(item: T): boolean {
    const i = this.firstAfter(item, true);
    if (i < this.items.length && this.compare(this.items[i], item) === 0) {
      this.items.splice(i, 1);
      return true;
    }
    return false;
  }

  /** Items in order, starting after `cursor` (exclusive) or at the start. */
  *from(cursor?: T): Generator<T> {
    for (let i = cursor === undefined ? 0 : this.firstAfter(cursor, false); i < this.items.length; i++) yield this.items[i];
  }

  /** Items in reverse order, starting before `cursor` (exclusive) or at the end. */
  *descendingFrom(cursor?: T): Generator<T> {
    for (let i = (cursor === undefined ? this.items.length : this.firstAfter(cursor, true)) - 1; i >= 0; i--) yield this.items[i];
  }

  /** Removes the first `n` items (the oldest, for a purge). */
  dropFirst(n: number): void {
    this.items.splice(0, n);
  }

  /** How many items come before `item`. */
  countBefore(item: T): number {
    return this.firstAfter(item, true);
  }

  /** Index of the first item not before `item` (`inclusive`), or after it. */
  private firstAfter(item: T, inclusive: boolean): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const c = this.compare(this.items[mid], item);
      if (c < 0 || (!inclusive && c === 0)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
