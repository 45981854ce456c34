import { describe, expect, it } from '@jest/globals';
import { MemoryReplayStore } from '../../lib';

/** A store on a clock the test moves. */
function storeAt(start = Date.parse('2026-03-01T00:00:00Z'), max_entries?: number) {
  const clock = { ms: start };
  const store = new MemoryReplayStore({ now: () => new Date(clock.ms), max_entries });
  const at = (seconds: number) => new Date(clock.ms + seconds * 1000);
  return { store, clock, at };
}

describe('MemoryReplayStore', () => {
  it('says true the first time, false while the id is remembered, true again once it expired', async () => {
    const { store, clock, at } = storeAt();
    expect(await store.remember('a', at(300))).toBe(true);
    expect(await store.remember('a', at(300))).toBe(false);
    expect(await store.remember('b', at(300))).toBe(true);
    clock.ms += 299_000;
    expect(await store.remember('a', at(300))).toBe(false);
    clock.ms += 1_000;
    // exactly at expiry the id is forgotten
    expect(await store.remember('a', at(300))).toBe(true);
    expect(await store.remember('a', at(300))).toBe(false);
  });

  it('drops expired ids as new ones arrive, without a timer', async () => {
    const { store, clock, at } = storeAt();
    for (let i = 0; i < 100; i++) await store.remember(`old-${i}`, at(10));
    expect(store.size).toBe(100);
    clock.ms += 11_000;
    await store.remember('new', at(10));
    expect(store.size).toBe(1);
  });

  it('is bounded: past max_entries the oldest ids are forgotten first', async () => {
    const { store, at } = storeAt(undefined, 3);
    for (const id of ['1', '2', '3', '4']) expect(await store.remember(id, at(300))).toBe(true);
    expect(store.size).toBe(3);
    expect(await store.remember('4', at(300))).toBe(false);
    expect(await store.remember('2', at(300))).toBe(false);
    expect(await store.remember('1', at(300))).toBe(true);
  });

  it('gives exactly one true among concurrent calls with one id', async () => {
    const { store, at } = storeAt();
    const results = await Promise.all(Array.from({ length: 20 }, () => store.remember('same', at(60))));
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('forgets an id on request', async () => {
    const { store, at } = storeAt();
    expect(await store.remember('a', at(300))).toBe(true);
    await store.forget('a');
    expect(await store.remember('a', at(300))).toBe(true);
    expect(await store.remember('a', at(300))).toBe(false);
  });

  it('refuses a max_entries that is not a positive integer', () => {
    expect(() => new MemoryReplayStore({ max_entries: 0 })).toThrow(/max_entries must be an integer >= 1/);
  });
});
