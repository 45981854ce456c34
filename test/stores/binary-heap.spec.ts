import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { BinaryHeap } from '../../lib/stores/memory/binary-heap';

/** A push or a pop, in the order a heap gets them. */
const op = fc.oneof(
  fc.record({ push: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(1_733_400_000_123), fc.double({ min: -1e13, max: 1e13, noNaN: true })) }),
  fc.constant({ pop: true as const }),
);

describe('BinaryHeap', () => {
  it('pops by key, then in the order pushed (equal keys first in, first out), across pushes and pops in any order', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const heap = new BinaryHeap<number>();
        // The reference: every entry pushed and not yet popped, as [key, order pushed].
        const waiting: Array<[number, number]> = [];
        let n = 0;
        for (const o of ops) {
          if ('push' in o) {
            heap.push(o.push, n);
            waiting.push([o.push, n++]);
          } else {
            waiting.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
            const next = waiting.shift();
            expect(heap.peekKey()).toBe(next?.[0]);
            expect(heap.pop()).toBe(next?.[1]);
          }
          expect(heap.size).toBe(waiting.length);
        }
        waiting.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        expect(Array.from({ length: waiting.length }, () => heap.pop())).toEqual(waiting.map((w) => w[1]));
        expect(heap.pop()).toBeUndefined();
        expect(heap.peekKey()).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });
});
