import { describe, expect, it } from '@jest/globals';
import type { ClaimedDelivery } from '../../lib/domain/types';
import { Capacity } from '../../lib/delivery/engine/capacity';
import { ClaimPlanner } from '../../lib/delivery/engine/claim-planner';

/** Claimed rows of these subscriptions (only the subscription id matters to the planner). */
const rows = (...subs: string[]): ClaimedDelivery[] => subs.map((s, i) => ({ delivery: { subscription_id: s, delivery_id: `d${i}` }, event: {} }) as unknown as ClaimedDelivery);

describe('ClaimPlanner', () => {
  const setup = (maxInProcess = 64, sendCap = 8) => ({ capacity: new Capacity<number>({ maxInProcess, sendCap }), planner: new ClaimPlanner({ batchSize: 100, minClaim: 16 }) });

  it('claims at most the free room and the batch size, with the claim share per subscription', () => {
    const { capacity, planner } = setup();
    expect(planner.plan(capacity)).toMatchObject({ claim: 1, limit: 64, exclude: [], perSubscription: 8, woken: true });
    const big = new ClaimPlanner({ batchSize: 10, minClaim: 2 });
    expect(big.plan(capacity)).toMatchObject({ limit: 10 });
  });

  it('does not claim for less than minClaim free slots while work is in flight, but does when idle', () => {
    const { capacity, planner } = setup(20, 20);
    for (let i = 0; i < 10; i++) capacity.hold('a', i);
    expect(planner.plan(capacity)).toBeNull();
    const idle = setup(10, 10);
    expect(idle.planner.plan(idle.capacity)).toMatchObject({ limit: 10 });
  });

  it('after a short claim, skips claims that would come back empty until something changes', () => {
    const { capacity, planner } = setup();
    const first = planner.plan(capacity)!;
    expect(planner.claimed(first, rows('a'))).toBe(false);
    // nothing new: the store had nothing more due
    expect(planner.plan(capacity)).toBeNull();
    planner.markUnknownWork();
    expect(planner.plan(capacity)).toMatchObject({ woken: true });
  });

  it('claims again at once after a full claim', () => {
    const { capacity, planner } = setup(4, 8);
    const plan = planner.plan(capacity)!;
    expect(planner.claimed(plan, rows('a', 'b', 'c', 'd'))).toBe(true);
    expect(planner.plan(capacity)).toMatchObject({ woken: false, limit: 4 });
  });

  it('notes a backlog for subscriptions that got their full share, and keeps claiming for them', () => {
    const { capacity, planner } = setup(64, 2);
    const plan = planner.plan(capacity)!;
    expect(planner.claimed(plan, rows('a', 'a', 'b'))).toBe(false);
    expect(planner.hasBacklog('a')).toBe(true);
    expect(planner.hasBacklog('b')).toBe(false);
    // a may have more due: claiming is still worth it
    const next = planner.plan(capacity)!;
    expect(next).not.toBeNull();
    // that claim gives a less than its share: its backlog is gone
    planner.claimed(next, rows('a'));
    expect(planner.hasBacklog('a')).toBe(false);
    expect(planner.plan(capacity)).toBeNull();
  });

  it('after a wake, saturated subscriptions it had to skip are noted as backlogged; while they stay saturated, no claim is made for them', () => {
    const { capacity, planner } = setup(64, 1);
    capacity.hold('slow', 1);
    capacity.hold('slow', 2);
    const plan = planner.plan(capacity)!;
    expect(plan.exclude).toEqual(['slow']);
    planner.claimed(plan, []);
    expect(planner.hasBacklog('slow')).toBe(true);
    // still saturated and nothing new: the claim would come back empty
    expect(planner.plan(capacity)).toBeNull();
    // once it has room, its backlog is claimed
    capacity.startable();
    capacity.finish('slow');
    expect(planner.plan(capacity)).toMatchObject({ exclude: [] });
  });

  it('a backlog noted by dispatch (no room to hand over) makes the next claim worth making', () => {
    const { capacity, planner } = setup();
    planner.claimed(planner.plan(capacity)!, []);
    expect(planner.plan(capacity)).toBeNull();
    planner.noteBacklog(['x']);
    expect(planner.hasBacklog('x')).toBe(true);
    const plan = planner.plan(capacity)!;
    expect(plan).not.toBeNull();
    // a claim that started after the note and came back short without limiting x clears it
    planner.claimed(plan, rows('x'));
    expect(planner.hasBacklog('x')).toBe(false);
  });

  it('keeps a backlog noted while a claim was in flight (that claim may not have seen it)', () => {
    const { capacity, planner } = setup();
    const inFlight = planner.plan(capacity)!;
    planner.noteBacklog(['late']);
    planner.claimed(inFlight, []);
    expect(planner.hasBacklog('late')).toBe(true);
  });
});
