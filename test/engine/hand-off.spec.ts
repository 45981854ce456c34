import { describe, expect, it } from '@jest/globals';
import { Capacity } from '../../lib/delivery/engine/capacity';
import { ClaimPlanner } from '../../lib/delivery/engine/claim-planner';
import { HandOff, type HandOffTarget } from '../../lib/delivery/engine/hand-off';
import type { Held } from '../../lib/delivery/engine/held';
import type { StoredEvent } from '../../lib/domain/types';
import { FakeClock } from '../support/fake-clock';

/** Hand-off targets with no controls of their own. */
const to = (...ids: string[]): HandOffTarget[] => ids.map((subscription_id) => ({ subscription_id }));

const EVENT: StoredEvent = { event_id: 'e1', event_type: 't', body: '{}', occurred_at: new Date(0), source: null, created_at: new Date(0) };

function setup(options: { maxInProcess?: number; sendCap?: number; accepting?: boolean; minClaim?: number } = {}) {
  const clock = new FakeClock();
  const capacity = new Capacity<Held>({ maxInProcess: options.maxInProcess ?? 64, sendCap: options.sendCap ?? 8 });
  const planner = new ClaimPlanner({ batchSize: 100, minClaim: options.minClaim ?? 16 });
  // As at start-up the wake is answered by a first claim that came back empty.
  planner.claimed(planner.plan(capacity)!, []);
  const adopted: Held[][] = [];
  let unleased = 0;
  let rateLimitedStored = 0;
  const handOff = new HandOff(capacity, planner, { workerId: 'w1', leaseMs: 60_000, minClaim: options.minClaim ?? 16, clock }, {
    accepting: () => options.accepting ?? true,
    adopt: (held) => adopted.push(held),
    unleasedStored: (rateLimited) => {
      unleased++;
      if (rateLimited) rateLimitedStored++;
    },
  });
  return { clock, capacity, planner, handOff, adopted, unleased: () => unleased, rateLimitedStored: () => rateLimitedStored };
}

describe('HandOff', () => {
  it('returns one lease per subscription (null when there is no room) and leaves its argument unchanged', () => {
    const { handOff, capacity, clock } = setup({ maxInProcess: 3 });
    const targets = Object.freeze(to('a', 'b', 'c', 'd'));
    const r = handOff.reserve(targets);
    const lease = { worker_id: 'w1', until: new Date(clock.now() + 60_000) };
    expect(r.leases).toEqual([lease, lease, lease, null]);
    expect(r.subscriptionIds).toEqual(['a', 'b', 'c', 'd']);
    expect(targets).toEqual(to('a', 'b', 'c', 'd'));
    expect(capacity.freeRoom).toBe(0);
  });

  it('leaves a claim’s worth of room while a wake is unanswered', () => {
    const { handOff, planner } = setup({ maxInProcess: 20, minClaim: 16 });
    planner.markUnknownWork();
    expect(handOff.reserve(to('a', 'b', 'c', 'd', 'e', 'f')).leases.filter(Boolean)).toHaveLength(4);
  });

  it('gives no lease to a subscription with a backlog in the store once its cap is busy', () => {
    const { handOff, planner, capacity } = setup({ sendCap: 2 });
    capacity.hold('slow', {} as Held);
    capacity.hold('slow', {} as Held);
    planner.noteBacklog(['slow']);
    expect(handOff.reserve(to('slow', 'fast')).leases.map(Boolean)).toEqual([false, true]);
  });

  it('bounds still-committing hand-offs per subscription by the reservation limit', () => {
    const { handOff } = setup({ sendCap: 2 });
    const leased = handOff.reserve(to(...Array<string>(10).fill('a'))).leases.filter(Boolean);
    expect(leased).toHaveLength(4);
  });

  it('when stored: adopts the leased deliveries, and notes a backlog for the others and asks for a claim', () => {
    const { handOff, capacity, planner, adopted, unleased } = setup({ maxInProcess: 1 });
    const r = handOff.reserve(to('a', 'b'));
    r.settle(EVENT, ['d-a', 'd-b'], true);
    expect(adopted).toHaveLength(1);
    expect(adopted[0].map((h) => [h.claimed.delivery.delivery_id, h.claimed.delivery.locked_by, h.recheck])).toEqual([['d-a', 'w1', true]]);
    expect(capacity.freeRoom).toBe(1);
    expect(planner.hasBacklog('b')).toBe(true);
    expect(unleased()).toBe(1);
    // settling twice changes nothing
    r.settle(EVENT, ['d-a', 'd-b'], true);
    expect(adopted).toHaveLength(1);
  });

  it('when not stored (a duplicate, or the write failed): gives the room back and adopts nothing', () => {
    const { handOff, capacity, adopted, planner, unleased } = setup({ maxInProcess: 1 });
    handOff.reserve(to('a', 'b')).settle(EVENT, ['d-a', 'd-b'], false);
    expect(adopted).toEqual([]);
    expect(capacity.freeRoom).toBe(1);
    expect(planner.hasBacklog('b')).toBe(false);
    expect(unleased()).toBe(0);
  });

  it('never leases a rate-limited subscription\'s delivery: it is stored for a claim, without noting a general backlog', () => {
    const { handOff, planner, adopted, unleased, rateLimitedStored } = setup();
    const r = handOff.reserve([{ subscription_id: 'limited', rate_limit_per_second: 5 }, { subscription_id: 'free' }]);
    expect(r.leases.map(Boolean)).toEqual([false, true]);
    r.settle(EVENT, ['d-l', 'd-f'], true);
    expect(adopted.flat().map((h) => h.claimed.delivery.delivery_id)).toEqual(['d-f']);
    expect(planner.hasBacklog('limited')).toBe(false);
    expect([unleased(), rateLimitedStored()]).toEqual([1, 1]);
  });

  it('bounds hand-offs by a subscription\'s own cap', () => {
    const { handOff, capacity } = setup({ sendCap: 8 });
    expect(handOff.reserve(Array.from({ length: 10 }, () => ({ subscription_id: 'a', max_concurrent_per_endpoint: 1 }))).leases.filter(Boolean)).toHaveLength(2);
    expect(capacity.sendCapOf('a')).toBe(1);
    expect(capacity.claimShares()).toEqual(new Map([['a', 1]]));
  });

  it('gives no lease while shutting down', () => {
    const { handOff } = setup({ accepting: false });
    expect(handOff.reserve(to('a')).leases).toEqual([null]);
  });

  describe('adoptCommitted (deliveries a caller\'s transaction stored)', () => {
    it('leases by id those there is room for, in one write with one lease, and starts only those it got', async () => {
      const { handOff, adopted, capacity, planner, unleased, clock } = setup({ maxInProcess: 2 });
      const asked: Array<{ ids: string[]; until: number }> = [];
      await handOff.adoptCommitted([{ event: EVENT, targets: to('a', 'b', 'c'), deliveryIds: ['d-a', 'd-b', 'd-c'] }], async (ids, lease) => {
        asked.push({ ids, until: lease.until.getTime() });
        // Another replica claimed d-b first.
        return ids.filter((id) => id !== 'd-b');
      });
      expect(asked).toEqual([{ ids: ['d-a', 'd-b'], until: clock.now() + 60_000 }]);
      expect(adopted.flat().map((h) => h.claimed.delivery.delivery_id)).toEqual(['d-a']);
      // d-b (taken elsewhere) and d-c (no room) are left to claims; the reservations are given back.
      expect(planner.hasBacklog('b') && planner.hasBacklog('c')).toBe(true);
      expect(unleased()).toBe(1);
      expect(capacity.freeRoom).toBe(2);
    });

    it('hands everything to claims when the write fails, and rejects', async () => {
      const { handOff, adopted, planner } = setup();
      await expect(handOff.adoptCommitted([{ event: EVENT, targets: to('a'), deliveryIds: ['d-a'] }], async () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
      expect(adopted).toEqual([]);
      expect(planner.hasBacklog('a')).toBe(true);
    });

    it('asks for nothing when there is no room', async () => {
      const { handOff, adopted } = setup({ accepting: false });
      let calls = 0;
      await handOff.adoptCommitted([{ event: EVENT, targets: to('a'), deliveryIds: ['d-a'] }], async () => {
        calls++;
        return [];
      });
      expect(calls).toBe(0);
      expect(adopted).toEqual([]);
    });
  });
});
