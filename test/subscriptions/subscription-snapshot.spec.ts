import { describe, expect, it } from '@jest/globals';
import type { WebhookSubscription } from '../../lib/domain/types';
import { MemorySubscriptionStore } from '../../lib/stores/memory/memory-subscription.store';
import { SubscriptionSnapshot } from '../../lib/subscriptions/subscription-snapshot';
import { subscriptionRecord } from '../support/subscriptions';

/** The ids of what a snapshot matched. */
const ids = (entries: ReadonlyArray<{ subscription_id: string }>) => entries.map((e) => e.subscription_id);

let n = 0;
const sub = (over: Partial<WebhookSubscription> = {}): WebhookSubscription => subscriptionRecord(`snap-${String(++n).padStart(5, '0')}`, over);
const logger = { error: () => undefined, warn: () => undefined };

describe('SubscriptionSnapshot (over the memory store, which keeps the same change log)', () => {
  it('loads the active subscriptions page by page and matches from them', async () => {
    const store = new MemorySubscriptionStore();
    const subs = Array.from({ length: 4500 }, (_, i) => sub({ tenant_id: `t${i % 450}`, event_types: i % 2 ? ['a.b'] : ['c.*'], active: i % 10 !== 0 }));
    await store.createMany(subs);
    const snapshot = new SubscriptionSnapshot(store, logger);
    expect(snapshot.ready).toBe(false);
    await snapshot.load();
    expect(snapshot.ready).toBe(true);
    expect(snapshot.size).toBe(4050);
    expect(ids(snapshot.match('a.b', 't1')).sort()).toEqual(subs.filter((s) => s.tenant_id === 't1' && s.active && s.event_types![0] === 'a.b').map((s) => s.subscription_id).sort());
  });

  it('follows created, changed, deactivated and deleted subscriptions through the change log, without reloading', async () => {
    const store = new MemorySubscriptionStore();
    const [a, b] = await store.createMany([sub({ event_types: ['x.y'] }), sub({ event_types: ['x.y'] })]);
    const snapshot = new SubscriptionSnapshot(store, logger);
    await snapshot.load();
    let scans = 0;
    const scan = store.scanActive.bind(store);
    store.scanActive = async (...args) => (scans++, scan(...args));
    const c = await store.create(sub({ event_types: ['x.y'] }));
    await store.update({ ...a, active: false });
    await store.update({ ...b, event_types: ['z.z'] });
    expect((await snapshot.refresh()).sort()).toEqual([a, b, c].map((s) => s.subscription_id).sort());
    expect(ids(snapshot.match('x.y', null))).toEqual([c.subscription_id]);
    await store.delete(c.subscription_id);
    await snapshot.refresh();
    expect(ids(snapshot.match('x.y', null))).toEqual([]);
    expect(ids(snapshot.match('z.z', null))).toEqual([b.subscription_id]);
    expect(scans).toBe(0);
  });

  it('a write made here applies at once, and a refresh that read the store before it does not undo it', async () => {
    const store = new MemorySubscriptionStore();
    const snapshot = new SubscriptionSnapshot(store, logger);
    await snapshot.load();
    const a = await store.create(sub({ event_types: ['k.k'] }));
    // A refresh starts and reads the store while `a` is still active...
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const entries = store.activeEntries.bind(store);
    store.activeEntries = async (ids) => {
      const read = await entries(ids);
      await gate;
      return read;
    };
    const refreshing = snapshot.refresh();
    // ...then this process deactivates it and applies that at once.
    await store.update({ ...a, active: false });
    snapshot.applyLocal(a.subscription_id, null);
    release();
    await refreshing;
    expect(ids(snapshot.match('k.k', null))).toEqual([]);
    store.activeEntries = entries;
    await snapshot.refresh();
    expect(ids(snapshot.match('k.k', null))).toEqual([]);
  });

  it('entries share one frozen array per event type list, and an entry the change log brings back unchanged keeps the indexed one', async () => {
    const store = new MemorySubscriptionStore();
    await store.createMany([sub({ tenant_id: 'ts', event_types: ['s.*'] }), sub({ tenant_id: 'ts', event_types: ['s.*'] })]);
    const snapshot = new SubscriptionSnapshot(store, logger);
    await snapshot.load();
    const [x, y] = snapshot.match('s.a', 'ts');
    expect(x.event_types).toBe(y.event_types);
    expect(Object.isFrozen(x.event_types)).toBe(true);
    // Written here: applied at once, then the change log brings back an equal entry, which does not replace it.
    const c = await store.create(sub({ tenant_id: 'ts', event_types: ['s.*'] }));
    snapshot.applyLocal(c.subscription_id, { subscription_id: c.subscription_id, tenant_id: 'ts', event_types: ['s.*'], filter: null, max_concurrent_per_endpoint: null, rate_limit_per_second: null, ordered: false });
    const applied = snapshot.match('s.a', 'ts').find((e) => e.subscription_id === c.subscription_id)!;
    expect(applied.event_types).toBe(x.event_types);
    expect(await snapshot.refresh()).toEqual([c.subscription_id]);
    expect(snapshot.match('s.a', 'ts').find((e) => e.subscription_id === c.subscription_id)).toBe(applied);
    // A change (a filter, same types) does replace it.
    await store.update({ ...c, filter: { 'payload.n': { $gt: 1 } } });
    await snapshot.refresh();
    const changed = snapshot.match('s.a', 'ts').find((e) => e.subscription_id === c.subscription_id)!;
    expect(changed).not.toBe(applied);
    expect(changed.filter).toEqual({ 'payload.n': { $gt: 1 } });
    expect(changed.event_types).toBe(x.event_types);
  });
});
