import { describe, expect, it } from '@jest/globals';
import { WriteBatcher } from '../../lib/delivery/engine/write-batcher';

describe('WriteBatcher', () => {
  it('writes a lone item at once and groups the items that arrive while a flush runs', async () => {
    const batches: number[][] = [];
    const batcher = new WriteBatcher<number, number>(
      async (items) => {
        batches.push(items);
        await new Promise((r) => setTimeout(r, 20));
        return items.map((i) => i * 10);
      },
      100,
      1,
    );
    expect(await batcher.add(1)).toBe(10);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => batcher.add(i)));
    expect(results).toEqual(Array.from({ length: 50 }, (_, i) => i * 10));
    expect(batches[0]).toEqual([1]);
    // The 50 concurrent adds share the first flush's tick: one batch, one "transaction".
    expect(batches.slice(1)).toEqual([Array.from({ length: 50 }, (_, i) => i)]);
  });

  it('caps a batch at maxBatch and rejects only the items of a failing flush', async () => {
    const sizes: number[] = [];
    let calls = 0;
    const batcher = new WriteBatcher<number, number>(
      async (items) => {
        sizes.push(items.length);
        if (calls++ === 0) throw new Error('database down');
        return items;
      },
      4,
      1,
    );
    const settled = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => batcher.add(i)));
    expect(sizes).toEqual([4, 4, 2]);
    expect(settled.slice(0, 4).every((s) => s.status === 'rejected' && (s.reason as Error).message === 'database down')).toBe(true);
    expect(settled.slice(4).map((s) => (s as PromiseFulfilledResult<number>).value)).toEqual([4, 5, 6, 7, 8, 9]);
    expect(batcher.pending).toBe(0);
  });

  it('writes each item alone and at once when immediate (no commit to share)', async () => {
    const batches: number[][] = [];
    const batcher = new WriteBatcher<number, number>(async (items) => (batches.push(items), items.map((i) => -i)), 100, 2, true);
    expect(await Promise.all([batcher.add(1), batcher.add(2), batcher.add(3)])).toEqual([-1, -2, -3]);
    expect(batches).toEqual([[1], [2], [3]]);
  });
});
