import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LruMap } from '../../lib/subscriptions/lru-map';

/** A get, set or delete of one of a few keys. */
const op = fc.oneof(
  fc.record({ get: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ set: fc.integer({ min: 0, max: 6 }), value: fc.integer() }),
  fc.record({ delete: fc.integer({ min: 0, max: 6 }) }),
  fc.constant({ clear: true as const }),
);

describe('LruMap', () => {
  it('answers and evicts as a list in order of use would (repeated reads of the newest key included)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 200 }), (capacity, ops) => {
        const lru = new LruMap<number, number>(capacity);
        // The reference: [key, value] pairs, least recently used first.
        let order: Array<[number, number]> = [];
        const take = (key: number) => {
          const at = order.findIndex(([k]) => k === key);
          return at < 0 ? undefined : order.splice(at, 1)[0];
        };
        for (const o of ops) {
          if ('get' in o) {
            const entry = take(o.get);
            if (entry) order.push(entry);
            expect(lru.get(o.get)).toBe(entry?.[1]);
          } else if ('set' in o) {
            take(o.set);
            order.push([o.set, o.value]);
            if (order.length > capacity) order.shift();
            lru.set(o.set, o.value);
          } else if ('delete' in o) {
            take(o.delete);
            lru.delete(o.delete);
          } else {
            order = [];
            lru.clear();
          }
        }
        // What is left, and in which order it would be evicted: fill up with fresh keys and see which survive.
        for (const [k, v] of order) expect(lru.get(k)).toBe(v);
        for (let i = 0; i < capacity - 1; i++) lru.set(100 + i, 0);
        const last = order[order.length - 1];
        for (const [k] of order.slice(0, -1)) expect(lru.get(k)).toBeUndefined();
        if (last) expect(lru.get(last[0])).toBe(last[1]);
      }),
      { numRuns: 300 },
    );
  });
});
