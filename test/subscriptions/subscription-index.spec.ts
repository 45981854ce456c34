import { describe, expect, it } from '@jest/globals';
import { eventTypeMatches } from '../../lib/domain/event-type';
import { SubscriptionIndex, type IndexedSubscription } from '../../lib/domain/subscription-index';
import fc from 'fast-check';

const sub = (subscription_id: string, tenant_id: string | null, event_types: string[] | null): IndexedSubscription => ({ subscription_id, tenant_id, event_types });
const ids = (subs: IndexedSubscription[]) => subs.map((s) => s.subscription_id).sort();

describe('SubscriptionIndex', () => {
  it('matches exact names, patterns and all-event subscriptions, per tenant or for everyone', () => {
    const index = new SubscriptionIndex();
    index.set(sub('all', null, null));
    index.set(sub('star', 't1', ['*']));
    index.set(sub('exact', 't1', ['order.paid']));
    index.set(sub('prefix', 't1', ['order.*']));
    index.set(sub('middle', 't2', ['order.*.paid']));
    index.set(sub('suffix', 't2', ['*.paid']));
    index.set(sub('both', 't2', ['order.paid', 'order.*']));
    expect(ids(index.match('order.paid', 't1'))).toEqual(['exact', 'prefix', 'star']);
    expect(ids(index.match('order.paid', 't2'))).toEqual(['both', 'suffix']);
    expect(ids(index.match('order.eu.paid', 't2'))).toEqual(['both', 'middle', 'suffix']);
    expect(ids(index.match('order.paid', null))).toEqual(['all', 'both', 'exact', 'prefix', 'star', 'suffix']);
    expect(ids(index.match('order.paid', 'unknown'))).toEqual([]);
    expect(ids(index.match('ORDER.PAID', 't1'))).toEqual(['star']);
  });

  it('replaces and deletes, leaving no trace in any bucket', () => {
    const index = new SubscriptionIndex();
    index.set(sub('a', 't1', ['order.*']));
    index.set(sub('a', 't2', ['user.created']));
    expect(ids(index.match('order.paid', 't1'))).toEqual([]);
    expect(ids(index.match('user.created', 't2'))).toEqual(['a']);
    expect(index.delete('a')).toBe(true);
    expect(index.delete('a')).toBe(false);
    expect(index.match('user.created', null)).toEqual([]);
    expect(index.size).toBe(0);
  });

  it('replaces an entry with the same tenant and event types in place: the new entry is matched, and deleting it leaves nothing', () => {
    const index = new SubscriptionIndex<IndexedSubscription & { version: number }>();
    index.set({ ...sub('a', 't1', ['order.*', 'user.created']), version: 1 });
    // As the change log brings back a write this process made: an equal copy, not the same object.
    index.set({ ...sub('a', 't1', ['order.*', 'user.created']), version: 2 });
    expect(index.size).toBe(1);
    expect(index.match('order.paid', 't1').map((s) => s.version)).toEqual([2]);
    expect(index.match('user.created', null).map((s) => s.version)).toEqual([2]);
    expect(index.get('a')?.version).toBe(2);
    expect(index.delete('a')).toBe(true);
    expect(index.match('order.paid', 't1')).toEqual([]);
    expect(index.match('user.created', null)).toEqual([]);
    expect(index.size).toBe(0);
  });

  it('a tenant past 16 subscriptions moves from its list to buckets, matching the same before, after and as it shrinks', () => {
    const index = new SubscriptionIndex();
    const kinds = [['order.paid'], ['order.*'], ['*.paid'], null, ['*'], ['user.created', 'order.*.eu']];
    const all = Array.from({ length: 40 }, (_, i) => sub(`s${String(i).padStart(2, '0')}`, 't1', kinds[i % kinds.length]));
    const expected = (present: IndexedSubscription[], type: string) => ids(present.filter((s) => eventTypeMatches(s.event_types, type)));
    const types = ['order.paid', 'order.x.eu', 'user.created', 'nothing'];
    for (let n = 1; n <= all.length; n++) {
      index.set(all[n - 1]);
      for (const type of types) expect(ids(index.match(type, 't1'))).toEqual(expected(all.slice(0, n), type));
    }
    for (let n = all.length; n > 0; n--) {
      expect(index.delete(all[n - 1].subscription_id)).toBe(true);
      for (const type of types) expect(ids(index.match(type, 't1'))).toEqual(expected(all.slice(0, n - 1), type));
      for (const type of types) expect(ids(index.match(type, null))).toEqual(expected(all.slice(0, n - 1), type));
    }
    expect(index.size).toBe(0);
    expect(index.match('order.paid', 't1')).toEqual([]);
  });

  it('tenantKey gives the tenant id as the index holds it, or as given for a tenant it holds nothing of', () => {
    const index = new SubscriptionIndex();
    expect(index.tenantKey(null)).toBeNull();
    expect(index.tenantKey('t1')).toBe('t1');
    index.set(sub('a', 't1', ['x']));
    expect(index.tenantKey(['t', '1'].join(''))).toBe('t1');
    index.delete('a');
    expect(index.tenantKey('t1')).toBe('t1');
  });

  it('agrees with eventTypeMatches on random subscriptions and events', () => {
    const word = fc.constantFrom('a', 'b', 'ab', 'order', 'x');
    const type = fc.array(word, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
    const pattern = fc.oneof(type, type.map((t) => `${t}.*`), type.map((t) => `*.${t}`), fc.constant('*'));
    const subscription = fc.record({ tenant_id: fc.constantFrom(null, 't1', 't2'), event_types: fc.option(fc.array(pattern, { minLength: 1, maxLength: 3 }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(subscription, { maxLength: 60 }), type, fc.constantFrom(null, 't1', 't2'), (subs, eventType, tenant) => {
        const index = new SubscriptionIndex();
        const all = subs.map((s, i) => sub(`s${i}`, s.tenant_id, s.event_types));
        for (const s of all) index.set(s);
        // Delete and re-add some, to exercise removal.
        for (const s of all.filter((_, i) => i % 3 === 0)) index.delete(s.subscription_id);
        for (const s of all.filter((_, i) => i % 6 === 0)) index.set(s);
        const present = all.filter((_, i) => i % 3 !== 0 || i % 6 === 0);
        // Replace some with equal copies (in place) and some with other types and back (moved twice).
        for (const s of present.filter((_, i) => i % 4 === 1)) index.set({ ...s, event_types: s.event_types && [...s.event_types] });
        for (const s of present.filter((_, i) => i % 5 === 2)) index.set(sub(s.subscription_id, s.tenant_id, ['moved']));
        for (const s of present.filter((_, i) => i % 5 === 2)) index.set(s);
        const expected = present.filter((s) => (tenant === null || s.tenant_id === tenant) && eventTypeMatches(s.event_types, eventType));
        expect(ids(index.match(eventType, tenant))).toEqual(ids(expected));
      }),
      { numRuns: 300 },
    );
  });
});
