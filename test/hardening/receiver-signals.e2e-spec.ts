import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { MAX_RETRY_AFTER_SECONDS } from '../../lib/delivery/http/retry-after';
import { createTestApp, type TestApp } from '../support/app';
import { ok, TestReceiver, waitFor, type Behaviour } from '../support/receiver';
import { waitForAttempts } from './helpers';

/**
 * Issue 5.3, as the Standard Webhooks spec recommends: 410 Gone disables the subscription; 429 and 503 with
 * Retry-After push the next try to at least that time, capped at MAX_RETRY_AFTER_SECONDS.
 */
describe('receiver signals', () => {
  let receiver: TestReceiver;
  let t: TestApp | undefined;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    await receiver.close();
  });

  /** Answers `status` with `headers` the first time, then 200. */
  const onceThenOk =
    (status: number, headers: Record<string, string>): Behaviour =>
    (req, res, body, n) =>
      n === 1 ? ok(status, 'slow down', headers)(req, res, body, n) : ok(200)(req, res, body, n);

  it('410 Gone disables the subscription with a reason and an outcome, and stops sending to it', async () => {
    t = await createTestApp({ retry_max_attempts: 5, max_concurrent_per_endpoint: 2 });
    receiver.on('/gone', ok(410, 'this endpoint was removed'));
    const sub = await t.subscriptions.create({ url: receiver.url('/gone') });
    // All 20 accepted before the first 410 can disable the subscription (they share one enqueue batch).
    const ids = (await Promise.all(Array.from({ length: 20 }, (_, i) => t!.delivery.dispatch({ event_type: 'a', payload: { i } })))).map((r) => r.event_id);
    expect(ids).toHaveLength(20);

    const disabled = await waitFor(async () => {
      const s = await t!.subscriptions.get(sub.subscription_id);
      return !s.active && s;
    }, 'the subscription to be disabled');
    expect(disabled.disabled_reason).toMatch(/^receiver answered 410 Gone at \d{4}-\d\d-\d\dT/);
    const disabledOutcomes = t.outcomes.filter((o) => o.type === 'subscription_disabled');
    expect(disabledOutcomes).toEqual([{ type: 'subscription_disabled', subscription_id: sub.subscription_id, reason: disabled.disabled_reason }]);

    // Every delivery ends: the 410 ones (at most max_concurrent_per_endpoint were in flight) without a retry,
    // the rest cancelled without being sent.
    await waitFor(async () => {
      const done = await Promise.all(ids.map((id) => t!.deliveries.getDelivery(id, sub.subscription_id)));
      return done.every((d) => d?.status === 'cancelled');
    }, 'every delivery to be cancelled');
    const attempts = await t.deliveries.getAttempts({ subscription_id: sub.subscription_id, limit: 1000 });
    const gone = attempts.filter((a) => a.status_code === 410);
    expect(gone.length).toBeGreaterThanOrEqual(1);
    expect(gone.length).toBeLessThanOrEqual(2);
    for (const a of gone) expect(a).toMatchObject({ status: 'failed', next_retry_at: null, attempt_number: 1, error_message: 'HTTP 410: this endpoint was removed' });
    const cancelled = attempts.filter((a) => a.status === 'cancelled');
    expect(cancelled).toHaveLength(20 - gone.length);
    for (const a of cancelled) expect(a).toMatchObject({ status_code: null, error_message: 'not sent: subscription is inactive' });
    expect(receiver.received('/gone')).toHaveLength(gone.length);

    // Nothing new goes to it; activating it again resumes deliveries and clears the reason.
    expect((await t.delivery.dispatch({ event_type: 'a', payload: {} })).delivery_count).toBe(0);
    const reactivated = await t.subscriptions.activate(sub.subscription_id);
    expect(reactivated).toMatchObject({ active: true, disabled_reason: null });
  });

  it('a delivery set aside while its endpoint was busy is not sent once the endpoint answered 410', async () => {
    // Cap 2. Request 1 is slow, request 2 fast: when 2 ends, the worker claims two more (3 starts, 4 is set aside
    // because 1 still runs). 3 answers 410. Nothing may reach the receiver after that answer.
    t = await createTestApp({ max_concurrent_per_endpoint: 2, retry_max_attempts: 3 });
    const timers: NodeJS.Timeout[] = [];
    let goneAnsweredAt = Infinity;
    const afterGone: number[] = [];
    receiver.on('/gone-busy', (req, res, body, n) => {
      if (Date.now() >= goneAnsweredAt) afterGone.push(n);
      if (n === 1) timers.push(setTimeout(() => ok(200)(req, res, body, n), 1500));
      else if (n === 3) {
        goneAnsweredAt = Date.now();
        ok(410, 'gone')(req, res, body, n);
      } else ok(200)(req, res, body, n);
    });
    const sub = await t.subscriptions.create({ url: receiver.url('/gone-busy') });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await t.delivery.dispatch({ event_type: 'a', payload: { i } })).event_id);
    await waitFor(async () => {
      const all = await Promise.all(ids.map((id) => t!.deliveries.getDelivery(id, sub.subscription_id)));
      return all.every((d) => d && d.status !== 'pending');
    }, 'every delivery to end');
    timers.forEach(clearTimeout);
    expect((await t.subscriptions.get(sub.subscription_id)).active).toBe(false);
    expect(afterGone).toEqual([]);
  });

  it.each([
    [429, { 'retry-after': '2' }],
    [503, { 'retry-after': '2' }],
  ])('%i with Retry-After: 2 delays the next try by at least 2 s, despite a 20 ms retry_base_delay', async (status, headers) => {
    t = await createTestApp({ retry_base_delay: 0.02, retry_max_delay: 0.1 });
    const path = `/ra-${status}`;
    receiver.on(path, onceThenOk(status, headers));
    await t.subscriptions.create({ url: receiver.url(path) });
    const { event_id } = await t.delivery.dispatch({ event_type: 'a', payload: {} });
    const [first, second] = await waitForAttempts(t, event_id, 2, 10_000);
    expect(first).toMatchObject({ status: 'failed', status_code: status });
    expect(first.next_retry_at!.getTime()).toBeGreaterThanOrEqual(first.attempted_at.getTime() + 2000);
    expect(first.next_retry_at!.getTime()).toBeLessThan(first.attempted_at.getTime() + 4000);
    expect(second).toMatchObject({ status: 'delivered', attempt_number: 2 });
    expect(second.attempted_at.getTime()).toBeGreaterThanOrEqual(first.next_retry_at!.getTime());
    // As the receiver saw it.
    const [r1, r2] = receiver.received(path);
    expect(r2.at - r1.at).toBeGreaterThanOrEqual(2000);
  });

  it('503 with Retry-After as an HTTP date is honoured too', async () => {
    t = await createTestApp({ retry_base_delay: 0.02, retry_max_delay: 0.1 });
    receiver.on('/ra-date', (req, res, body, n) =>
      n === 1 ? ok(503, 'later', { 'retry-after': new Date(Date.now() + 3000).toUTCString() })(req, res, body, n) : ok(200)(req, res, body, n),
    );
    await t.subscriptions.create({ url: receiver.url('/ra-date') });
    const { event_id } = await t.delivery.dispatch({ event_type: 'a', payload: {} });
    const [first, second] = await waitForAttempts(t, event_id, 2, 10_000);
    // HTTP dates have 1 s resolution: "3 s from now" is at least 2 s away.
    expect(first.next_retry_at!.getTime() - first.attempted_at.getTime()).toBeGreaterThanOrEqual(2000);
    expect(second.status).toBe('delivered');
  });

  it.each([
    ['delta-seconds', '999999999'],
    ['an HTTP date years ahead', new Date(Date.now() + 5 * 365 * 86_400_000).toUTCString()],
  ])('a huge Retry-After (%s) is capped at MAX_RETRY_AFTER_SECONDS', async (_what, value) => {
    t = await createTestApp();
    const path = `/ra-huge-${_what.length}`;
    receiver.on(path, ok(429, 'quota', { 'retry-after': value }));
    await t.subscriptions.create({ url: receiver.url(path) });
    const { event_id } = await t.delivery.dispatch({ event_type: 'a', payload: {} });
    const [first] = await waitForAttempts(t, event_id, 1);
    const delay = first.next_retry_at!.getTime() - first.attempted_at.getTime();
    expect(MAX_RETRY_AFTER_SECONDS).toBeGreaterThanOrEqual(60);
    expect(MAX_RETRY_AFTER_SECONDS).toBeLessThanOrEqual(86_400);
    expect(delay).toBeGreaterThanOrEqual(MAX_RETRY_AFTER_SECONDS * 1000);
    expect(delay).toBeLessThan(MAX_RETRY_AFTER_SECONDS * 1000 + 5000);
    // Parked in the store, not retried early.
    const d = await t.deliveries.getDelivery(event_id, first.subscription_id);
    expect(d).toMatchObject({ status: 'pending', locked_by: null });
    expect(receiver.received(path)).toHaveLength(1);
  });

  it.each([
    ['500 (Retry-After only counts on 429 and 503)', 500, '30'],
    ['429 with an unparsable Retry-After', 429, 'soon'],
    ['503 with a negative Retry-After', 503, '-5'],
  ])('%s falls back to the normal backoff', async (_what, status, value) => {
    t = await createTestApp({ retry_base_delay: 0.02, retry_max_delay: 0.1 });
    const path = `/ra-ignored-${status}-${value}`;
    receiver.on(path, onceThenOk(status, { 'retry-after': value }));
    await t.subscriptions.create({ url: receiver.url(path) });
    const { event_id } = await t.delivery.dispatch({ event_type: 'a', payload: {} });
    const [first, second] = await waitForAttempts(t, event_id, 2);
    expect(first.next_retry_at!.getTime() - first.attempted_at.getTime()).toBeLessThan(1000);
    expect(second.status).toBe('delivered');
  });

  it('a Retry-After shorter than the backoff does not shorten it', async () => {
    t = await createTestApp({ retry_base_delay: 3, retry_max_delay: 3, retry_jitter: 0 });
    receiver.on('/ra-short', ok(429, 'x', { 'retry-after': '0' }));
    await t.subscriptions.create({ url: receiver.url('/ra-short') });
    const { event_id } = await t.delivery.dispatch({ event_type: 'a', payload: {} });
    const [first] = await waitForAttempts(t, event_id, 1);
    expect(first.next_retry_at!.getTime() - first.attempted_at.getTime()).toBeGreaterThanOrEqual(3000);
  });
});
