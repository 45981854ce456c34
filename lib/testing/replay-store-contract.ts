import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import type { WebhookReplayStore } from '../receiver/webhook-replay.store';

/**
 * Checks that a {@link WebhookReplayStore} keeps the contract the receiver relies on, with `node:assert` (so it
 * runs under any test runner): a new id is accepted once, a remembered id is refused until it expires, of
 * concurrent calls with one id exactly one wins, ids are exact (case and length), and `forget` (when present) lets
 * the id in again. Uses fresh random ids, so it can run against a shared, non-empty store; rejects with an
 * `AssertionError` naming the broken rule.
 */
export async function checkReplayStore(store: WebhookReplayStore): Promise<void> {
  const id = () => `contract-${randomUUID()}`;
  const later = () => new Date(Date.now() + 60_000);

  const a = id();
  assert.equal(await store.remember(a, later()), true, 'remember(id) must be true for an id never seen');
  assert.equal(await store.remember(a, later()), false, 'remember(id) must be false while an earlier record has not expired');
  assert.equal(await store.remember(a.toUpperCase(), later()), true, 'ids are exact: an id differing in case is another id');
  assert.equal(await store.remember(`${a}-x`, later()), true, 'ids are exact: a longer id is another id');
  assert.equal(await store.remember(id().padEnd(255, 'x'), later()), true, 'an id of 255 characters must be accepted');

  const expired = id();
  assert.equal(await store.remember(expired, new Date(Date.now() - 1000)), true, 'remember(id) must be true for a new id even when already expired');
  assert.equal(await store.remember(expired, later()), true, 'remember(id) must be true again once the earlier record has expired');

  const raced = id();
  const results = await Promise.all(Array.from({ length: 8 }, () => store.remember(raced, later())));
  assert.equal(results.filter(Boolean).length, 1, `of 8 concurrent remember(id) calls exactly one must be true (got ${results.filter(Boolean).length})`);

  if (store.forget) {
    const forgotten = id();
    await store.remember(forgotten, later());
    await store.forget(forgotten);
    assert.equal(await store.remember(forgotten, later()), true, 'remember(id) must be true after forget(id)');
    await store.forget(id());
  }
}
