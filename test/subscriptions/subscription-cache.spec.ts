import { describe, expect, it } from '@jest/globals';
import { resolveWebhookConfig } from '../../lib/config/webhook-config';
import { MemorySubscriptionStore } from '../../lib/stores/memory/memory-subscription.store';
import { SubscriptionCache } from '../../lib/subscriptions/subscription-cache';
import { subscriptionRecord } from '../support/subscriptions';

const sub = (id: string) => subscriptionRecord(id);

/** A cache over a memory store that counts the store's reads by id. */
async function cacheWith(ids: string[]) {
  const store = new MemorySubscriptionStore();
  await store.createMany(ids.map(sub));
  const reads: string[][] = [];
  const getMany = store.getMany.bind(store);
  store.getMany = async (wanted) => (reads.push([...wanted]), getMany(wanted));
  store.get = async () => Promise.reject(new Error('get() should not be called: reads go through getMany'));
  return { store, reads, cache: new SubscriptionCache(resolveWebhookConfig({ subscription_cache_ms: 60_000 }), store) };
}

describe('SubscriptionCache.get', () => {
  it('reads the subscriptions asked for in one tick with one query, then keeps them', async () => {
    const { cache, reads } = await cacheWith(['a', 'b', 'c']);
    const got = await Promise.all([cache.get('a'), cache.get('b'), cache.get('a'), cache.get('gone')]);
    expect(got.map((s) => s?.subscription_id ?? null)).toEqual(['a', 'b', 'a', null]);
    expect(reads).toEqual([['a', 'b', 'gone']]);
    expect((await cache.get('b'))?.subscription_id).toBe('b');
    expect(await cache.get('c')).toMatchObject({ subscription_id: 'c' });
    expect(reads).toEqual([['a', 'b', 'gone'], ['c']]);
  });

  it('a failed read rejects every get of its tick, and the next tick reads again', async () => {
    const { cache, store, reads } = await cacheWith(['a', 'b']);
    const getMany = store.getMany;
    store.getMany = async () => Promise.reject(new Error('database down'));
    const failed = [cache.get('a'), cache.get('b')];
    await expect(Promise.all(failed)).rejects.toThrow('database down');
    await expect(failed[1]).rejects.toThrow('database down');
    store.getMany = getMany;
    expect((await cache.get('a'))?.subscription_id).toBe('a');
    expect(reads).toEqual([['a']]);
  });

  it('a write made through this process drops the kept record', async () => {
    const { cache, store, reads } = await cacheWith(['a']);
    await cache.get('a');
    await store.update({ ...sub('a'), url: 'https://y.example.com/' });
    cache.changed('a', null);
    expect((await cache.get('a'))?.url).toBe('https://y.example.com/');
    expect(reads).toEqual([['a'], ['a']]);
  });
});
