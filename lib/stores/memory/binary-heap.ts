/**
 * A min-heap ordered by `key` then insertion order; entries may go stale and are skipped by the caller.
 *
 * Kept in three parallel arrays rather than one object per entry. The memory store keeps an entry for every pending
 * delivery and one for every lease until it expires (minutes after the delivery is done), so entries outlive
 * young-generation collections. As an object, an entry was about 70 bytes with its key boxed (epoch milliseconds
 * are not a small integer), copied by every scavenge until promoted; here it is three array slots, its key unboxed.
 */
export class BinaryHeap<T> {
  private readonly keys: number[] = [];
  private readonly seqs: number[] = [];
  private readonly values: T[] = [];
  private seq = 0;

  get size(): number {
    return this.keys.length;
  }

  push(key: number, value: T): void {
    const { keys, seqs, values } = this;
    const seq = this.seq++;
    let i = keys.length;
    keys.push(key);
    seqs.push(seq);
    values.push(value);
    // Sift up: parents that come after the new entry move down, and it goes in the place left.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (before(keys[parent], seqs[parent], key, seq)) break;
      this.move(parent, i);
      i = parent;
    }
    this.place(i, key, seq, value);
  }

  peekKey(): number | undefined {
    return this.keys.length > 0 ? this.keys[0] : undefined;
  }

  pop(): T | undefined {
    const { keys, seqs, values } = this;
    if (keys.length === 0) return undefined;
    const top = values[0];
    // The last entry leaves the arrays and sifts down from the root (nothing is left referenced past the end).
    const key = keys.pop()!;
    const seq = seqs.pop()!;
    const value = values.pop()!;
    const size = keys.length;
    if (size > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= size) break;
        const right = left + 1;
        const child = right < size && before(keys[right], seqs[right], keys[left], seqs[left]) ? right : left;
        if (before(key, seq, keys[child], seqs[child])) break;
        this.move(child, i);
        i = child;
      }
      this.place(i, key, seq, value);
    }
    return top;
  }

  /** Copies the entry at `from` to `to`. */
  private move(from: number, to: number): void {
    this.keys[to] = this.keys[from];
    this.seqs[to] = this.seqs[from];
    this.values[to] = this.values[from];
  }

  private place(i: number, key: number, seq: number, value: T): void {
    this.keys[i] = key;
    this.seqs[i] = seq;
    this.values[i] = value;
  }
}

function before(key: number, seq: number, otherKey: number, otherSeq: number): boolean {
  return key < otherKey || (key === otherKey && seq < otherSeq);
}
