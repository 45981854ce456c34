import { describe, expect, it } from '@jest/globals';
import { Capacity } from '../../lib/delivery/engine/capacity';
import { MAX_HOLD_DEPTH } from '../../lib/delivery/engine/send-pace';

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
    expect(c.claimShares()).toBeUndefined();
    c.setCap('a', 3);
    expect([c.sendCapOf('a'), c.holdLimitOf('a'), c.reservationLimitOf('a'), c.sendCapOf('b')]).toEqual([3, 6, 6, 2]);
    expect(c.claimShares()).toEqual(new Map([['a', 3]]));
    for (let i = 0; i < 8; i++) c.hold('a', i);
    expect(c.busy('a')).toBe(6);
    expect(c.startable()).toEqual([0, 1, 2]);
    expect(c.saturated('a')).toBe(true);
    c.setCap('a', null);
    expect(c.sendCapOf('a')).toBe(2);
    expect(c.claimShares()).toBeUndefined();
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

  describe('pace: how much a fast endpoint may hold', () => {
    it('keeps the module rule (one cap held beyond the sends) until both a claim and a send were timed', () => {
      const c = new Capacity<number>({ maxInProcess: 100, sendCap: 2 });
      c.hold('a', 1);
      c.startable();
      c.finish('a', 1);
      expect([c.holdDepthOf('a'), c.holdLimitOf('a'), c.claimShareOf('a')]).toEqual([1, 4, 2]);
      c.claimTook(6);
      expect(c.holdDepthOf('a')).toBe(6);
      expect(c.holdDepthOf('never-sent')).toBe(1);
    });

    it('lets a fast endpoint hold as many caps as its sends get through during a claim, up to MAX_HOLD_DEPTH', () => {
      const c = new Capacity<number>({ maxInProcess: 1000, sendCap: 2 });
      c.claimTook(6);
      const send = (id: string, ms: number) => {
        c.hold(id, 0);
        c.startable();
        c.finish(id, ms);
      };
      send('fast', 1);
      send('slow', 100);
      send('instant', 0);
      expect([c.holdDepthOf('fast'), c.holdDepthOf('slow'), c.holdDepthOf('instant')]).toEqual([6, 1, MAX_HOLD_DEPTH]);
      // fast: 2 sending + 6 caps held = 14 busy at most; a claim takes its depth in caps, less what is busy past one cap
      expect([c.holdLimitOf('fast'), c.reservationLimitOf('fast'), c.claimShareOf('fast')]).toEqual([14, 14, 12]);
      const held = Array.from({ length: 16 }, (_, i) => c.hold('fast', i));
      expect(held.filter(Boolean)).toHaveLength(14);
      expect(c.claimShareOf('fast')).toBe(0);
      expect(c.saturated('fast')).toBe(true);
      for (let round = 0; round < 2; round++) {
        expect(c.startable()).toHaveLength(2);
        c.finish('fast', 1);
        c.finish('fast', 1);
      }
      // 10 busy: room for 4 more
      expect([c.busy('fast'), c.claimShareOf('fast'), c.saturated('fast')]).toEqual([10, 4, false]);
      // slow keeps the module rule: saturated past its cap busy
      c.hold('slow', 1);
      c.hold('slow', 2);
      expect(c.saturated('slow')).toBe(false);
      c.hold('slow', 3);
      expect(c.saturated('slow')).toBe(true);
    });

    it('learns that an endpoint slowed down, and that claims got faster', () => {
      const c = new Capacity<number>({ maxInProcess: 1000, sendCap: 2 });
      c.claimTook(8);
      const send = (ms: number) => {
        c.hold('a', 0);
        c.startable();
        c.finish('a', ms);
      };
      send(1);
      expect(c.holdDepthOf('a')).toBe(MAX_HOLD_DEPTH);
      for (let i = 0; i < 40; i++) send(200);
      expect(c.holdDepthOf('a')).toBe(1);
      for (let i = 0; i < 80; i++) send(1);
      expect(c.holdDepthOf('a')).toBe(MAX_HOLD_DEPTH);
      for (let i = 0; i < 40; i++) c.claimTook(0);
      expect(c.holdDepthOf('a')).toBe(1);
    });

    it('lists the deeper claim shares only for the candidates given (the backlogged), beside the own caps', () => {
      const c = new Capacity<number>({ maxInProcess: 1000, sendCap: 2 });
      c.claimTook(4);
      for (const id of ['fast', 'other-fast']) {
        c.hold(id, 0);
        c.startable();
        c.finish(id, 1);
      }
      c.setCap('own', 3);
      expect(c.claimShares()).toEqual(new Map([['own', 3]]));
      expect(c.claimShares(['fast', 'slow-or-unknown'])).toEqual(new Map([['own', 3], ['fast', 8]]));
    });
  });
});
