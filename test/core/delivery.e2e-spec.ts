import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { verify as octokitVerify } from '@octokit/webhooks-methods';
import { Webhook } from 'standardwebhooks';
import { DeliveryAttemptNotFoundError, InvalidEventError, SubscriptionInactiveError, verifyWebhook } from '../../lib';
import { createTestApp, type TestApp } from '../support/app';
import { failTimes, hang, ok, sleep, TestReceiver, waitFor } from '../support/receiver';

describe('delivery pipeline (memory store, real HTTP)', () => {
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

  const attemptsOf = (eventId: string) => t!.deliveries.getAttempts({ event_id: eventId });

  it('delivers a signed event that the official standardwebhooks library verifies', async () => {
    t = await createTestApp();
    receiver.on('/ok', ok());
    const sub = await t.subscriptions.create({ url: receiver.url('/ok'), event_types: ['user.created'] });
    expect(sub.secret).toMatch(/^whsec_/);
    const before = receiver.received('/ok').length;
    const res = await t.delivery.dispatch({ event_type: 'user.created', payload: { id: 42, name: 'Ada' }, source: 'users' });
    expect(res).toMatchObject({ delivery_count: 1, duplicate: false });
    const [req] = await waitFor(() => receiver.received('/ok').slice(before).length && receiver.received('/ok').slice(before), 'the delivery');
    const parsed = new Webhook(sub.secret).verify(req.body, req.headers as Record<string, string>) as any;
    expect(parsed).toMatchObject({ event_id: res.event_id, event_type: 'user.created', source: 'users', payload: { id: 42, name: 'Ada' } });
    expect(req.headers['webhook-id']).toBe(res.event_id);
    expect(req.headers['webhook-event-type']).toBe('user.created');
    expect(req.headers['content-type']).toBe('application/json');
    expect(verifyWebhook(req.body, req.headers, sub.secret)).toBe(true);
    const [attempt] = await waitFor(async () => (await attemptsOf(res.event_id)).length && attemptsOf(res.event_id), 'the attempt log');
    expect(attempt).toMatchObject({ status: 'delivered', status_code: 200, attempt_number: 1, subscription_id: sub.subscription_id, error_message: null, next_retry_at: null });
    expect(attempt.duration_ms).toBeGreaterThanOrEqual(0);
    await waitFor(() => t!.outcomes.some((o) => o.type === 'delivered'), 'the delivered outcome');
  });

  it('retries with backoff, then succeeds', async () => {
    t = await createTestApp({ retry_max_attempts: 5 });
    receiver.on('/flaky', failTimes(2, 503));
    await t.subscriptions.create({ url: receiver.url('/flaky') });
    const { event_id } = await t.delivery.dispatch({ event_type: 'order.paid', payload: { n: 1 } });
    const attempts = await waitFor(async () => {
      const a = await attemptsOf(event_id);
      return a.length === 3 && a[0].status === 'delivered' && a;
    }, 'three attempts ending delivered');
    const [third, second, first] = attempts;
    expect(first).toMatchObject({ status: 'failed', status_code: 503, attempt_number: 1, error_message: 'HTTP 503: failure 1' });
    expect(first.next_retry_at!.getTime()).toBeGreaterThan(first.attempted_at.getTime());
    expect(second).toMatchObject({ status: 'failed', attempt_number: 2 });
    expect(third).toMatchObject({ status: 'delivered', attempt_number: 3, next_retry_at: null });
    // Identical body on every try.
    const bodies = new Set(receiver.received('/flaky').map((r) => r.body));
    expect(bodies.size).toBe(1);
  });

  it('dead-letters after retry_max_attempts, and redeliver re-sends the original body', async () => {
    t = await createTestApp({ retry_max_attempts: 3 });
    let failing = true;
    receiver.on('/dead', (req, res, body, n) => (failing ? ok(500, 'down')(req, res, body, n) : ok(200)(req, res, body, n)));
    const sub = await t.subscriptions.create({ url: receiver.url('/dead') });
    const { event_id } = await t.delivery.dispatch({ event_type: 'invoice.failed', payload: { amount: 10 } });
    const dead = await waitFor(async () => (await t!.deliveries.getDeadLetters({ subscription_id: sub.subscription_id }))[0], 'a dead letter');
    expect(dead).toMatchObject({ event_id, status: 'dead_letter', attempt_number: 3, status_code: 500, error_message: 'HTTP 500: down', next_retry_at: null });
    expect(await t.deliveries.countDeadLetters()).toBe(1);
    expect(t.outcomes.filter((o) => o.type === 'failed')).toHaveLength(2);
    expect(t.outcomes.filter((o) => o.type === 'dead_lettered')).toHaveLength(1);
    const original = receiver.received('/dead')[0].body;

    failing = false;
    const result = await t.delivery.redeliver(dead.attempt_id);
    expect(result).toEqual({ ok: true });
    await waitFor(async () => (await attemptsOf(event_id))[0]?.status === 'delivered', 'the redelivery');
    const last = receiver.received('/dead').at(-1)!;
    expect(last.body).toBe(original);
    expect(verifyWebhook(last.body, last.headers, sub.secret)).toBe(true);
    expect(await t.deliveries.countDeadLetters()).toBe(0);
    expect((await attemptsOf(event_id))[0].attempt_number).toBe(1);
  });

  it('returns Result errors from redeliver for unknown attempts and inactive subscriptions', async () => {
    t = await createTestApp();
    receiver.on('/r', ok());
    const missing = await t.delivery.redeliver('no-such-attempt');
    expect(missing.ok).toBe(false);
    expect(!missing.ok && missing.error).toBeInstanceOf(DeliveryAttemptNotFoundError);
    expect(!missing.ok && missing.error.code).toBe('DELIVERY_ATTEMPT_NOT_FOUND');
    const sub = await t.subscriptions.create({ url: receiver.url('/r') });
    const { event_id } = await t.delivery.dispatch({ event_type: 'a', payload: 1 });
    const [attempt] = await waitFor(async () => (await attemptsOf(event_id)).length && attemptsOf(event_id), 'an attempt');
    await t.subscriptions.deactivate(sub.subscription_id);
    const inactive = await t.delivery.redeliver(attempt.attempt_id);
    expect(!inactive.ok && inactive.error).toBeInstanceOf(SubscriptionInactiveError);
  });

  it('delivers a repeated event_id once per subscription', async () => {
    t = await createTestApp();
    receiver.on('/dup1', ok()).on('/dup2', ok());
    await t.subscriptions.create({ url: receiver.url('/dup1') });
    await t.subscriptions.create({ url: receiver.url('/dup2') });
    const first = await t.delivery.dispatch({ event_id: 'evt_dup', event_type: 'a', payload: { v: 1 } });
    const second = await t.delivery.dispatch({ event_id: 'evt_dup', event_type: 'a', payload: { v: 2 } });
    expect(first).toEqual({ event_id: 'evt_dup', delivery_count: 2, duplicate: false });
    expect(second).toEqual({ event_id: 'evt_dup', delivery_count: 0, duplicate: true });
    await waitFor(async () => (await attemptsOf('evt_dup')).length === 2, 'two attempts');
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.received('/dup1').filter((r) => r.headers['webhook-id'] === 'evt_dup')).toHaveLength(1);
    expect(receiver.received('/dup2').filter((r) => r.headers['webhook-id'] === 'evt_dup')).toHaveLength(1);
    expect(JSON.parse(receiver.received('/dup1').at(-1)!.body).payload).toEqual({ v: 1 });
  });

  it.each([
    ['a BigInt', { n: 1n }, /BigInt/],
    ['a cycle', (() => { const o: any = { a: 1 }; o.self = o; return o; })(), /circular/i],
    ['undefined', undefined, /payload is required/],
    ['a function', () => 1, /payload is required/],
  ])('refuses a payload with %s and stores nothing', async (_what, payload, message) => {
    t = await createTestApp();
    await t.subscriptions.create({ url: receiver.url('/never') });
    const err = await t.delivery.dispatch({ event_id: 'evt_bad', event_type: 'x', payload }).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidEventError);
    expect(err.code).toBe('INVALID_EVENT');
    expect(err.message).toMatch(message);
    expect(await t.deliveries.getEvent('evt_bad')).toBeNull();
    expect(receiver.received('/never')).toHaveLength(0);
  });

  it.each([
    [{ event_type: '', payload: 1 }, /event_type/],
    [{ event_type: 'has space', payload: 1 }, /event_type/],
    [{ event_type: 'a', payload: 1, event_id: 'with space' }, /event_id/],
    [{ event_type: 'a', payload: 1, occurred_at: 'yesterday' }, /occurred_at/],
    [{ event_type: 'a', payload: 'x'.repeat(300_000) }, /max_payload_bytes/],
  ])('refuses the event %# with a clear error', async (event, message) => {
    t = await createTestApp();
    await expect(t.delivery.dispatch(event as any)).rejects.toThrow(message);
  });

  it('matches event types exactly, by wildcard, or all; skips inactive subscriptions and other tenants', async () => {
    t = await createTestApp();
    receiver.on('/m', ok());
    const exact = await t.subscriptions.create({ url: receiver.url('/m'), event_types: ['user.created'] });
    const wildcard = await t.subscriptions.create({ url: receiver.url('/m'), event_types: ['user.*'] });
    const all = await t.subscriptions.create({ url: receiver.url('/m') });
    const other = await t.subscriptions.create({ url: receiver.url('/m'), event_types: ['order.paid'] });
    const inactive = await t.subscriptions.create({ url: receiver.url('/m') });
    const tenant = await t.subscriptions.create({ url: receiver.url('/m'), tenant_id: 't1' });
    await t.subscriptions.deactivate(inactive.subscription_id);
    const { event_id, delivery_count } = await t.delivery.dispatch({ event_type: 'user.created', payload: {} });
    expect(delivery_count).toBe(4);
    const attempts = await waitFor(async () => (await attemptsOf(event_id)).length === 4 && attemptsOf(event_id), 'four attempts');
    expect(new Set(attempts.map((a) => a.subscription_id))).toEqual(new Set([exact, wildcard, all, tenant].map((s) => s.subscription_id)));
    expect(attempts.map((a) => a.subscription_id)).not.toContain(other.subscription_id);
    const scoped = await t.delivery.dispatch({ event_type: 'user.deleted', payload: {}, tenant_id: 't1' });
    expect(scoped.delivery_count).toBe(1);
  });

  it('with subscription_cache_ms 0, matches against the store on every dispatch (a subscription written elsewhere counts at once)', async () => {
    t = await createTestApp({ subscription_cache_ms: 0 });
    receiver.on('/nocache', ok());
    await t.subscriptions.create({ url: receiver.url('/nocache'), event_types: ['user.*'] });
    expect((await t.delivery.dispatch({ event_type: 'user.created', payload: {} })).delivery_count).toBe(1);
    const other = await t.subscriptions.create({ url: receiver.url('/nocache'), tenant_id: 't9' });
    expect((await t.delivery.dispatch({ event_type: 'user.created', payload: {} })).delivery_count).toBe(2);
    // Changed straight in the store, as another replica would: no local invalidation. A cached list would still
    // match it for subscription_cache_ms; with 0 the very next dispatch sees the change.
    await t.subscriptionStore.update({ ...other, event_types: ['order.paid'] });
    expect((await t.delivery.dispatch({ event_type: 'user.created', payload: {} })).delivery_count).toBe(1);
    expect((await t.delivery.dispatch({ event_type: 'order.paid', payload: {}, tenant_id: 't9' })).delivery_count).toBe(1);
    expect((await t.delivery.dispatch({ event_type: 'order.paid', payload: {}, tenant_id: 'nobody' })).delivery_count).toBe(0);
  });

  it('signs with the old and the new secret during a rotation grace period', async () => {
    t = await createTestApp({ secret_rotation_grace_hours: 1 });
    receiver.on('/rot', ok());
    const sub = await t.subscriptions.create({ url: receiver.url('/rot') });
    const rotated = await t.subscriptions.rotateSecret(sub.subscription_id);
    expect(rotated.secret).not.toBe(sub.secret);
    const before = receiver.received('/rot').length;
    await t.delivery.dispatch({ event_type: 'a', payload: { r: 1 } });
    const [req] = await waitFor(() => receiver.received('/rot').slice(before).length && receiver.received('/rot').slice(before), 'the delivery');
    expect((req.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    expect(new Webhook(sub.secret).verify(req.body, req.headers as Record<string, string>)).toMatchObject({ payload: { r: 1 } });
    expect(new Webhook(rotated.secret).verify(req.body, req.headers as Record<string, string>)).toMatchObject({ payload: { r: 1 } });
  });

  it('signs GitHub-style with body-hmac, verified by @octokit/webhooks-methods, honouring renamed headers', async () => {
    t = await createTestApp({ signature_scheme: 'body-hmac', signature_header: 'x-hub-signature-256', event_type_header: 'x-github-event' });
    receiver.on('/gh', ok());
    const sub = await t.subscriptions.create({ url: receiver.url('/gh') });
    await t.delivery.dispatch({ event_type: 'push', payload: { ref: 'main' } });
    const [req] = await waitFor(() => receiver.received('/gh').length && receiver.received('/gh'), 'the delivery');
    expect(req.headers['x-github-event']).toBe('push');
    await expect(octokitVerify(sub.secret, req.body, req.headers['x-hub-signature-256'] as string)).resolves.toBe(true);
  });

  it('honours signature_algorithm sha512 for body-hmac', async () => {
    t = await createTestApp({ signature_scheme: 'body-hmac', signature_algorithm: 'sha512' });
    receiver.on('/gh512', ok());
    const sub = await t.subscriptions.create({ url: receiver.url('/gh512') });
    await t.delivery.dispatch({ event_type: 'push', payload: {} });
    const [req] = await waitFor(() => receiver.received('/gh512').length && receiver.received('/gh512'), 'the delivery');
    expect(req.headers['webhook-signature']).toMatch(/^sha512=/);
    expect(verifyWebhook(req.body, req.headers, sub.secret, { signature_scheme: 'body-hmac', signature_algorithm: 'sha512' })).toBe(true);
  });

  it('logs timeouts, refused connections and redirects as failed attempts with clear messages', async () => {
    t = await createTestApp({ delivery_timeout_seconds: 0.3, retry_max_attempts: 1 });
    receiver.on('/hang', hang()).on('/redirect', ok(302, '', { location: 'http://127.0.0.1:1/elsewhere' }));
    await t.subscriptions.create({ url: receiver.url('/hang'), event_types: ['hang'] });
    await t.subscriptions.create({ url: receiver.url('/redirect'), event_types: ['redirect'] });
    await t.subscriptions.create({ url: 'http://127.0.0.1:1/closed', event_types: ['refused'] });
    const ids = await Promise.all(['hang', 'redirect', 'refused'].map((event_type) => t!.delivery.dispatch({ event_type, payload: {} })));
    const messages = await Promise.all(
      ids.map(({ event_id }) => waitFor(async () => (await attemptsOf(event_id))[0]?.error_message, `attempt of ${event_id}`)),
    );
    expect(messages).toEqual(['timeout after 0.3s', 'HTTP 302: redirect to http://127.0.0.1:1/elsewhere not followed', 'connection refused']);
    expect(receiver.received('/elsewhere')).toHaveLength(0);
  });

  it('disables a subscription after disable_after_consecutive_failures, and a success resets the count', async () => {
    t = await createTestApp({ retry_max_attempts: 1, disable_after_consecutive_failures: 3 });
    let mode = 500;
    receiver.on('/ad', (req, res, body, n) => ok(mode)(req, res, body, n));
    const sub = await t.subscriptions.create({ url: receiver.url('/ad') });
    const sendAndWait = async () => {
      const { event_id } = await t!.delivery.dispatch({ event_type: 'a', payload: {} });
      await waitFor(async () => (await attemptsOf(event_id)).length === 1, 'the attempt');
    };
    await sendAndWait();
    await sendAndWait();
    mode = 200;
    await sendAndWait();
    mode = 500;
    await sendAndWait();
    await sendAndWait();
    expect((await t.subscriptions.get(sub.subscription_id)).active).toBe(true);
    await sendAndWait();
    const disabled = await waitFor(async () => {
      const s = await t!.subscriptions.get(sub.subscription_id);
      return !s.active && s;
    }, 'the subscription to be disabled');
    expect(disabled.disabled_reason).toMatch(/3 consecutive failures/);
    expect(t.outcomes).toContainEqual(expect.objectContaining({ type: 'subscription_disabled', subscription_id: sub.subscription_id }));
    expect((await t.delivery.dispatch({ event_type: 'a', payload: {} })).delivery_count).toBe(0);
  });

  it('purges attempts and finished events past the retention period, on retention_cron', async () => {
    // Retention of 1.5 s (in days), purged every second.
    t = await createTestApp({ delivery_log_retention_days: 1.5 / 86_400, retention_cron: '* * * * * *' });
    receiver.on('/ret', ok());
    await t.subscriptions.create({ url: receiver.url('/ret') });
    const { event_id } = await t.delivery.dispatch({ event_type: 'a', payload: {} });
    await waitFor(async () => (await attemptsOf(event_id)).length === 1, 'the attempt');
    // Younger than the retention period: kept by the ticks that run meanwhile.
    await sleep(1000);
    expect(await t.deliveries.getEvent(event_id)).not.toBeNull();
    await waitFor(async () => (await t!.deliveries.getEvent(event_id)) === null, 'the event purged', 5000, 50);
    expect(await attemptsOf(event_id)).toEqual([]);
  });

  it('closes promptly while a send hangs, leaving no timer or socket behind', async () => {
    t = await createTestApp({ delivery_timeout_seconds: 30, shutdown_timeout_seconds: 0.2 });
    receiver.on('/slow', hang());
    await t.subscriptions.create({ url: receiver.url('/slow') });
    await t.delivery.dispatch({ event_type: 'a', payload: {} });
    await waitFor(() => receiver.received('/slow').length > 0, 'the send to start');
    const started = Date.now();
    await t.close();
    t = undefined;
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
