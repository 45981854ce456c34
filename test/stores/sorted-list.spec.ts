import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { SortedList } from '../../lib/stores/memory/sorted-list';

type Item = { key: number; n: number };
const byKey = (a: Item, b: Item) => a.key - b.key;

/** The insert as it was (a splice at the first place not before the item, an append when in order). */
function spliceInsert(items: Item[], item: Item): void {
  if (items.length === 0 || byKey(items[items.length - 1], item) <= 0) return void items.push(item);
  let at = 0;
  while (byKey(items[at], item) < 0) at++;
  items.splice(at, 0, item);
}

describe('SortedList', () => {
  it('puts every item where a splice put it, whether near the end (moved in place) or far from it', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 400 }), (keys) => {
        const list = new SortedList<Item>(byKey);
        const reference: Item[] = [];
        keys.forEach((key, n) => {
          list.insert({ key, n });
          spliceInsert(reference, { key, n });
        });
        expect([...list.from()]).toEqual(reference);
        expect([...list.from()].map((i) => i.key)).toEqual([...keys].sort((a, b) => a - b));
      }),
      { numRuns: 200 },
    );
  });
});
