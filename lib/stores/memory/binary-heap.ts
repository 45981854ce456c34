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
      const parentKey = keys[parent];
      if (parentKey < key || (parentKey === key && seqs[parent] < seq)) break;
      keys[i] = parentKey;
      seqs[i] = seqs[parent];
      values[i] = values[parent];
      i = parent;
    }
    keys[i] = key;
    seqs[i] = seq;
    values[i] = value;
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
        keys[i] = keys[child];
        seqs[i] = seqs[child];
        values[i] = values[child];
        i = child;
      }
      keys[i] = key;
      seqs[i] = seq;
      values[i] = value;
    }
    return top;
  }
}

function before(key: number, seq: number, otherKey: number, otherSeq: number): boolean {
  return key < otherKey || (key === otherKey && seq < otherSeq);
}
