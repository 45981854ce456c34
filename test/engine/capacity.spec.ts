import { describe, expect, it } from '@jest/globals';
import { Capacity } from '../../lib/delivery/engine/capacity';

describe('Capacity', () => {
  it('names each use of the per-endpoint cap', () => {
    const c = new Capacity<string>({ maxInProcess: 64, sendCap: 8 });
    expect({ sendCap: c.sendCap, claimShare: c.claimShare, holdLimit: c.holdLimit, reservationLimit: c.reservationLimit }).toEqual({
      sendCap: 8,
      claimShare: 8,
      holdLimit: 16,
      reservationLimit: 16,
    });
  });

  it('starts held items up to the send cap per subscription and the process limit in all, oldest first', () => {
    const c = new Capacity<string>({ maxInProcess: 5, sendCap: 2 });
    for (let i = 0; i < 4; i++) expect(c.hold('a', `a${i}`)).toBe(true);
    for (let i = 0; i < 4; i++) expect(c.hold('b', `b${i}`)).toBe(true);
    expect(c.freeRoom).toBe(5 - 8);
    expect(c.startable()).toEqual(['a0', 'a1', 'b0', 'b1']);
    expect(c.sending).toBe(4);
    expect(c.held).toBe(4);
    // send slots of a and b are full: nothing more starts
    expect(c.startable()).toEqual([]);
    c.finish('a');
    expect(c.startable()).toEqual(['a2']);
    // the process limit (5) is reached although b has held items and a send slot is not the issue
    c.finish('b');
    expect(c.startable()).toEqual(['b2']);
    expect(c.sending).toBe(4);
  });

  it('holds at most holdLimit per subscription (sending + held)', () => {
    const c = new Capacity<number>({ maxInProcess: 100, sendCap: 2 });
    const held = Array.from({ length: 6 }, (_, i) => c.hold('a', i));
    expect(held).toEqual([true, true, true, true, false, false]);
    c.startable();
    expect(c.busy('a')).toBe(4);
    expect(c.hold('a', 9)).toBe(false);
    c.finish('a');
    expect(c.hold('a', 9)).toBe(true);
  });

  it('is saturated (left out of claims) past its send cap busy', () => {
    const c = new Capacity<number>({ maxInProcess: 100, sendCap: 2 });
    c.hold('a', 1);
    c.hold('a', 2);
    c.hold('b', 1);
    expect(c.saturated('a')).toBe(false);
    c.hold('a', 3);
    expect(c.saturated('a')).toBe(true);
    expect(c.saturatedSubscriptions()).toEqual(['a']);
  });

  it('reserves hand-offs within the reservation limit, and for a backlogged subscription only below its cap', () => {
    const c = new Capacity<number>({ maxInProcess: 100, sendCap: 2 });
    for (let i = 0; i < 4; i++) {
      expect(c.canReserve('a', false)).toBe(true);
      c.reserve('a');
    }
    expect(c.canReserve('a', false)).toBe(false);
    expect(c.freeRoom).toBe(96);
    c.unreserve('a');
    expect(c.canReserve('a', false)).toBe(true);

    c.hold('b', 1);
    expect(c.canReserve('b', true)).toBe(true);
    c.hold('b', 2);
    // its cap (2) is busy and the store holds a backlog: freed slots go to claims
    expect(c.canReserve('b', true)).toBe(false);
    expect(c.canReserve('b', false)).toBe(true);
    c.hold('b', 3);
    c.hold('b', 4);
    expect(c.canReserve('b', false)).toBe(false);
  });

  it('gives a subscription its own cap once set, for every use, and forgets it when set back to null', () => {
    const c = new Capacity<number>({ maxInProcess: 100, sendCap: 2 });
    expect(c.claimShares).toBeUndefined();
    c.setCap('a', 3);
    expect([c.sendCapOf('a'), c.holdLimitOf('a'), c.reservationLimitOf('a'), c.sendCapOf('b')]).toEqual([3, 6, 6, 2]);
    expect(c.claimShares).toEqual(new Map([['a', 3]]));
    for (let i = 0; i < 8; i++) c.hold('a', i);
    expect(c.busy('a')).toBe(6);
    expect(c.startable()).toEqual([0, 1, 2]);
    expect(c.saturated('a')).toBe(true);
    c.setCap('a', null);
    expect(c.sendCapOf('a')).toBe(2);
    expect(c.claimShares).toBeUndefined();
    c.finish('a');
    // 2 still sending: at its cap again, nothing more starts
    expect(c.startable()).toEqual([]);
  });

  it('drains held items (shutdown)', () => {
    const c = new Capacity<number>({ maxInProcess: 1, sendCap: 1 });
    c.hold('a', 1);
    c.hold('a', 2);
    c.startable();
    expect(c.drainHeld()).toEqual([2]);
    expect(c.held).toBe(0);
    expect(c.heldItems()).toEqual([]);
  });
});
