import { describe, expect, it, jest } from '@jest/globals';
import { Capacity } from '../../lib/delivery/engine/capacity';
import { FAST_SEND_MS } from '../../lib/delivery/engine/send-pace';

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

  it('keeps its counts across thousands of subscriptions coming and going (idle ones are swept, busy ones kept)', () => {
    const c = new Capacity<string>({ maxInProcess: 64, sendCap: 1 });
    // One subscription stays busy throughout: one sending (its cap), one held, one reserved.
    c.hold('busy', 'busy-0');
    expect(c.startable()).toEqual(['busy-0']);
    c.hold('busy', 'busy-1');
    c.reserve('busy');
    for (let i = 0; i < 5_000; i++) {
      const id = `s${i}`;
      c.reserve(id);
      c.unreserve(id);
      expect(c.hold(id, id)).toBe(true);
      expect(c.startable()).toEqual([id]);
      c.finish(id, 1);
    }
    expect({ sending: c.sending, held: c.held, free: c.freeRoom }).toEqual({ sending: 1, held: 1, free: 64 - 3 });
    expect(c.busy('busy')).toBe(2);
    expect(c.busy('s0')).toBe(0);
    expect(c.busy('s4999')).toBe(0);
    // 'busy' has its hold limit (2) busy: saturated; none of the idle ones is.
    expect(c.saturatedSubscriptions()).toEqual(['busy']);
    expect(c.canReserve('s17', false)).toBe(true);
    c.finish('busy');
    expect(c.startable()).toEqual(['busy-1']);
    expect(c.heldItems()).toEqual([]);
  });

  it('walks only the subscriptions with held items, in the order they began waiting', () => {
    const c = new Capacity<string>({ maxInProcess: 64, sendCap: 1 });
    // 1,000 idle subscriptions: each held, sent and finished once, so their tallies keep idle entries.
    for (let i = 0; i < 1_000; i++) {
      c.hold(`idle${i}`, 'x');
      c.startable();
      c.finish(`idle${i}`, 1);
    }
    for (const id of ['a', 'b', 'c']) c.hold(id, `${id}0`);
    c.hold('a', 'a1');
    const asked = jest.spyOn(c, 'sendCapOf');
    // Each startable() asks for the send cap of each subscription it walks.
    expect(c.startable()).toEqual(['a0', 'b0', 'c0']);
    expect(asked).toHaveBeenCalledTimes(3);
    expect(asked.mock.calls.map(([id]) => id)).toEqual(['a', 'b', 'c']);
    // b's and c's queues emptied; they wait again in the order they are held, after a, which still waits.
    for (const id of ['a', 'b', 'c']) c.finish(id);
    c.hold('c', 'c1');
    c.hold('b', 'b1');
    asked.mockClear();
    expect(c.startable()).toEqual(['a1', 'c1', 'b1']);
    expect(asked.mock.calls.map(([id]) => id)).toEqual(['a', 'c', 'b']);
    expect(c.heldItems()).toEqual([]);
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

  describe('pace: a fast endpoint may hold four times its cap', () => {
    const send = (c: Capacity<number>, id: string, ms: number) => {
      c.hold(id, 0);
      c.startable();
      c.finish(id, ms);
    };

    it('keeps the module rule (twice the cap) until a send was timed; fast below FAST_SEND_MS', () => {
      const c = new Capacity<number>({ maxInProcess: 64, sendCap: 2 });
      expect([c.isFast('a'), c.holdLimitOf('a'), c.claimShareOf('a')]).toEqual([false, 4, 2]);
      send(c, 'a', 1);
      expect([c.isFast('a'), c.holdLimitOf('a'), c.claimShareOf('a')]).toEqual([true, 8, 6]);
      send(c, 'b', FAST_SEND_MS);
      expect([c.isFast('b'), c.holdLimitOf('b')]).toEqual([false, 4]);
    });

    it('does not flip to slow with one stall: a burst of slow sends moves the average little', () => {
      const c = new Capacity<number>({ maxInProcess: 64, sendCap: 2 });
      for (let i = 0; i < 100; i++) send(c, 'a', 1);
      for (let i = 0; i < 20; i++) send(c, 'a', 15);
      expect(c.isFast('a')).toBe(true);
    });

    it('gives a fast endpoint four caps to hold, reserve and claim (within the process room); a slow one keeps twice its cap', () => {
      const c = new Capacity<number>({ maxInProcess: 20, sendCap: 2 });
      send(c, 'fast', 1);
      send(c, 'slow', 100);
      expect([c.holdLimitOf('fast'), c.reservationLimitOf('fast'), c.claimShareOf('fast')]).toEqual([8, 8, 6]);
      // within the process room: four caps (8) do not fit in 6
      const small = new Capacity<number>({ maxInProcess: 6, sendCap: 2 });
      send(small, 'fast', 1);
      expect([small.isFast('fast'), small.holdLimitOf('fast')]).toEqual([true, 6]);
      expect([c.holdLimitOf('slow'), c.reservationLimitOf('slow'), c.claimShareOf('slow')]).toEqual([4, 4, 2]);
      const held = Array.from({ length: 10 }, (_, i) => c.hold('fast', i));
      expect(held.filter(Boolean)).toHaveLength(8);
      expect([c.claimShareOf('fast'), c.saturated('fast')]).toEqual([0, true]);
      for (let round = 0; round < 2; round++) {
        expect(c.startable()).toHaveLength(2);
        c.finish('fast', 1);
        c.finish('fast', 1);
      }
      // 4 busy: room for 4 more, a cap's worth at least, so claims may take it again
      expect([c.busy('fast'), c.claimShareOf('fast'), c.saturated('fast')]).toEqual([4, 4, false]);
      // slow keeps the module rule: saturated past its cap busy
      c.hold('slow', 1);
      c.hold('slow', 2);
      expect(c.saturated('slow')).toBe(false);
      c.hold('slow', 3);
      expect(c.saturated('slow')).toBe(true);
    });

    it('with a backlog, hands a fast endpoint fresh deliveries only while a claim can still take a cap\'s worth', () => {
      const c = new Capacity<number>({ maxInProcess: 10, sendCap: 2 });
      send(c, 'a', 1);
      for (let i = 0; i < 5; i++) c.hold('a', i);
      expect(c.canReserve('a', true)).toBe(true);
      c.hold('a', 5);
      // 6 busy of its 8: a claim could take only 2 more
      expect(c.canReserve('a', true)).toBe(false);
      expect(c.canReserve('a', false)).toBe(true);
    });

    it('learns that an endpoint slowed down, and that it recovered', () => {
      const c = new Capacity<number>({ maxInProcess: 64, sendCap: 2 });
      send(c, 'a', 1);
      expect(c.isFast('a')).toBe(true);
      for (let i = 0; i < 40; i++) send(c, 'a', 200);
      expect([c.isFast('a'), c.holdLimitOf('a')]).toEqual([false, 4]);
      for (let i = 0; i < 300; i++) send(c, 'a', 1);
      expect(c.isFast('a')).toBe(true);
    });

    it('lists the larger claim shares only for the candidates given (the backlogged) that are fast, beside the own caps', () => {
      const c = new Capacity<number>({ maxInProcess: 64, sendCap: 2 });
      send(c, 'fast', 1);
      send(c, 'slow', 50);
      c.setCap('own', 3);
      expect(c.claimShares()).toEqual(new Map([['own', 3]]));
      expect(c.claimShares(['fast', 'slow', 'unknown'])).toEqual(new Map([['own', 3], ['fast', 6]]));
    });
  });
});
