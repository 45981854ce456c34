import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { resolveWebhookConfig } from '../../lib/config/webhook-config';
import { SecretDecryptionError } from '../../lib/domain/webhook.error';
import { SecretCipher } from '../../lib/security/secret-cipher';
import { TypeOrmSubscriptionStore, WebhookDataSourceRef } from '../../lib/stores/typeorm';
import { closeTestDataSource, createTestDataSource } from '../support/databases';
import { MEMORY_STORE_CAPABILITIES } from '../../lib/stores/memory/memory-backend';
import { MemorySubscriptionStore } from '../../lib/stores/memory/memory-subscription.store';
import { TYPEORM_STORE_CAPABILITIES } from '../../lib/stores/typeorm/typeorm-backend';
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
  return { store, reads, cache: new SubscriptionCache(resolveWebhookConfig({ subscription_cache_ms: 60_000 }), store, MEMORY_STORE_CAPABILITIES) };
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

  it('a row no key decrypts (secret_encryption_keys) fails only its own gets: the others of its tick are read one by one', async () => {
    const ds = await createTestDataSource('sqlite', { namespace: 'webhook_cache_crypt' });
    try {
      const [oldKey, newKey] = [randomBytes(32).toString('base64'), randomBytes(32).toString('base64')];
      const ref = WebhookDataSourceRef.of(ds);
      await new TypeOrmSubscriptionStore(ref, new SecretCipher([oldKey])).create(sub('locked'));
      const store = new TypeOrmSubscriptionStore(ref, new SecretCipher([newKey]));
      await store.createMany([sub('a'), sub('b')]);
      const cache = new SubscriptionCache(resolveWebhookConfig({ subscription_cache_ms: 60_000, store_backend: 'typeorm' }), store, TYPEORM_STORE_CAPABILITIES);
      const [a, locked, b] = await Promise.allSettled([cache.get('a'), cache.get('locked'), cache.get('b')]);
      expect(a).toMatchObject({ status: 'fulfilled', value: { subscription_id: 'a', secret: sub('a').secret } });
      expect(b).toMatchObject({ status: 'fulfilled', value: { subscription_id: 'b' } });
      expect(locked.status).toBe('rejected');
      expect((locked as PromiseRejectedResult).reason).toBeInstanceOf(SecretDecryptionError);
      expect(((locked as PromiseRejectedResult).reason as Error).message).toMatch(/subscription locked.*secret_encryption_keys/);
    } finally {
      await closeTestDataSource(ds);
    }
  });

  it('a write made through this process drops the kept record', async () => {
    const { cache, store, reads } = await cacheWith(['a']);
    await cache.get('a');
    await store.update({ ...sub('a'), url: 'https://y.example.com/' });
    cache.changed('a', null);
    expect((await cache.get('a'))?.url).toBe('https://y.example.com/');
    expect(reads).toEqual([['a'], ['a']]);
  });

  it('a read that began before a change answers its readers but is not kept: the next get reads the change', async () => {
    const { cache, store, reads } = await cacheWith(['a']);
    // The read takes the row as it is, then waits: the subscription changes meanwhile (its write drops it here).
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const getMany = store.getMany;
    store.getMany = async (wanted) => {
      const rows = await getMany(wanted);
      await released;
      return rows;
    };
    const during = cache.get('a');
    await new Promise((resolve) => setImmediate(resolve));
    await store.update({ ...sub('a'), url: 'https://y.example.com/' });
    cache.changed('a', null);
    release();
    expect((await during)?.url).toBe(sub('a').url);
    expect(cache.kept('a')).toBeUndefined();
    store.getMany = getMany;
    expect((await cache.get('a'))?.url).toBe('https://y.example.com/');
    expect(cache.kept('a')?.url).toBe('https://y.example.com/');
    expect(reads).toEqual([['a'], ['a']]);
  });
});

describe('SubscriptionCache.match on a store that is its own index (memory)', () => {
  it('matches in place, without a copy per match, and sees a write at once', async () => {
    const { cache, store } = await cacheWith(['a', 'b']);
    const event = { event_type: 'order.paid', source: null, body: '{"payload":{}}' };
    const first = cache.matchNow(event, null)!;
    expect(first.map((e) => e.subscription_id).sort()).toEqual(['a', 'b']);
    // the same entries (the store's records), not copies
    expect(cache.matchNow(event, null)![0]).toBe(first[0]);
    await store.update({ ...sub('a'), active: false });
    expect(cache.matchNow(event, null)!.map((e) => e.subscription_id)).toEqual(['b']);
    expect((await cache.match(event, null)).map((e) => e.subscription_id)).toEqual(['b']);
  });

  it('falls back to the store\'s match() for a store without an index to read in place', async () => {
    const { cache } = await cacheWith(['a']);
    const plain = new MemorySubscriptionStore();
    await plain.createMany([sub('p')]);
    const fallback = new SubscriptionCache(resolveWebhookConfig({ subscription_cache_ms: 60_000 }), { ...wrap(plain), matchEntries: undefined } as never, MEMORY_STORE_CAPABILITIES);
    const event = { event_type: 'order.paid', source: null, body: '{"payload":{}}' };
    expect(fallback.matchNow(event, null)).toBeNull();
    expect((await fallback.match(event, null)).map((e) => e.subscription_id)).toEqual(['p']);
    expect(cache.matchNow(event, null)).not.toBeNull();
  });
});

/** The store's methods, bound, on a plain object (a store that is not a MemorySubscriptionStore). */
function wrap(store: MemorySubscriptionStore): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of ['match', 'get', 'getMany', 'scanActive', 'activeEntries', 'changesSince', 'lastChangeId'] as const) out[name] = (store[name] as (...a: unknown[]) => unknown).bind(store);
  return out;
}
