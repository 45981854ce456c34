import { afterEach, describe, expect, it } from '@jest/globals';
import type { WebhookConfig } from '../../lib/config/webhook-config';
import { AttemptSender } from '../../lib/delivery/engine/attempt-sender';
import { DeliveryEngine } from '../../lib/delivery/engine/delivery-engine';
import { emissionIntervalUs } from '../../lib/domain/rate-limit';
import type { SendResult, WebhookTransport } from '../../lib/delivery/http/transport';
import type { WebhookOutcome } from '../../lib/domain/outcome';
import type { ClaimOptions } from '../../lib/domain/stores';
import type { StoredEvent, WebhookSubscription } from '../../lib/domain/types';
import { SecretDecryptionError } from '../../lib/domain/webhook.error';
import { WebhookSigner } from '../../lib/signing/webhook-signer';
import { resolveWebhookConfig } from '../../lib/config/webhook-config';
import { MemoryDeliveryStore } from '../../lib/stores/memory/memory-delivery.store';
import { FakeClock, settle } from '../support/fake-clock';

/** One send the fake transport has not answered yet. */
interface OpenSend {
  url: string;
  answer(result: Partial<SendResult>): void;
}

/** A transport the test answers by hand (or at once, per URL), counting sends in flight per URL. */
class FakeTransport implements WebhookTransport {
  readonly open: OpenSend[] = [];
  readonly sent: string[] = [];
  /** The timeout each send was given (undefined: the transport's own). */
  readonly timeouts: Array<number | undefined> = [];
  /** Headers of each send. */
  readonly headers: Array<Record<string, string>> = [];
  /** Bodies in the order sent. */
  readonly bodies: string[] = [];
  readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  /** URLs answered at once with this result. */
  readonly auto = new Map<string, Partial<SendResult>>();

  send(url: string, headers: Record<string, string>, body: string, signal?: AbortSignal, timeoutMs?: number): Promise<SendResult> {
    this.sent.push(url);
    this.timeouts.push(timeoutMs);
    this.headers.push(headers);
    this.bodies.push(body);
    this.inFlight.set(url, (this.inFlight.get(url) ?? 0) + 1);
    this.maxInFlight.set(url, Math.max(this.maxInFlight.get(url) ?? 0, this.inFlight.get(url)!));
    return new Promise((resolve) => {
      const finish = (r: Partial<SendResult>) => {
        this.inFlight.set(url, this.inFlight.get(url)! - 1);
        resolve({ ok: false, status_code: null, duration_ms: 1, error_message: null, retry_after_ms: null, gone: false, ...r });
      };
      signal?.addEventListener('abort', () => finish({ error_message: 'aborted (shutting down)' }), { once: true });
      const auto = this.auto.get(url);
      if (auto) return finish(auto);
      this.open.push({ url, answer: finish });
    });
  }

  answerAll(url: string, result: Partial<SendResult>): number {
    const mine = this.open.filter((s) => s.url === url);
    this.open.splice(0, this.open.length, ...this.open.filter((s) => s.url !== url));
    for (const s of mine) s.answer(result);
    return mine.length;
  }

  async close(): Promise<void> {}
}

const OK: Partial<SendResult> = { ok: true, status_code: 200 };

function sub(id: string, over: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return { subscription_id: id, url: `https://${id}.example/hook`, secret: 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0', event_types: null, active: true, description: null, tenant_id: null, created_at: new Date(0), metadata: {}, ...over };
}

function setup(options: Partial<WebhookConfig> = {}, immediateWrites = true) {
  const clock = new FakeClock();
  const config = resolveWebhookConfig({ max_concurrent_deliveries: 16, max_concurrent_per_endpoint: 2, claim_batch_size: 50, retry_jitter: 0, retry_base_delay: 1, ...options });
  const rateLimits = new Map<string, number>();
  const store = new MemoryDeliveryStore(rateLimits);
  const claims: ClaimOptions[] = [];
  const claimDue = store.claimDue.bind(store);
  store.claimDue = async (o) => (claims.push(o), claimDue(o));
  const rateLimitedClaims: ClaimOptions[] = [];
  const claimRateLimited = store.claimRateLimited.bind(store);
  store.claimRateLimited = async (o) => (rateLimitedClaims.push(o), claimRateLimited(o));
  const transport = new FakeTransport();
  const subs = new Map<string, WebhookSubscription>();
  /** Subscriptions whose lookup throws this error (a secret no key of secret_encryption_keys decrypts). */
  const unreadable = new Map<string, Error>();
  const errors: string[] = [];
  const healthCalls: string[] = [];
  const outcomes: WebhookOutcome[] = [];
  const engine = new DeliveryEngine({
    workerId: 'w1',
    config,
    queue: store,
    sender: new AttemptSender(new WebhookSigner(config), transport),
    subscriptions: {
      get: async (id) => {
        if (unreadable.has(id)) throw unreadable.get(id)!;
        return subs.get(id) ?? null;
      },
    },
    health: {
      gone: async (s) => (healthCalls.push(`gone:${s.subscription_id}`), [{ type: 'subscription_disabled', subscription_id: s.subscription_id, reason: 'gone' }]),
      failed: async (s) => (healthCalls.push(`failed:${s.subscription_id}`), []),
    },
    logger: { error: (m: string) => void errors.push(m), warn: () => undefined },
    immediateWrites,
    clock,
    random: () => 0.5,
  });
  engine.outcomes.subscribe((o) => outcomes.push(o));
  let n = 0;
  /** Stores an event for these subscriptions, as dispatch() does (with a hand-off when `handOff`). */
  async function dispatch(subscriptionIds: string[], handOff = true): Promise<string[]> {
    const event: StoredEvent = { event_id: `e${++n}`, event_type: 't', body: `{"n":${n}}`, occurred_at: new Date(clock.now()), source: null, created_at: new Date(clock.now()) };
    const ids = subscriptionIds.map((s) => `${event.event_id}-${s}`);
    const reservation = engine.reserve(handOff ? subscriptionIds.map((id) => subs.get(id) ?? { subscription_id: id }) : []);
    const leases = handOff ? reservation.leases : subscriptionIds.map(() => null);
    const [stored] = await store.enqueue([{ event, deliveries: subscriptionIds.map((s, i) => ({ delivery_id: ids[i], subscription_id: s, lease: leases[i] })) }]);
    if (handOff) reservation.settle(event, ids, stored);
    else engine.wake();
    return ids;
  }
  const state = async (eventId: string, s: string) => (await store.getDelivery(eventId, s))!;
  /** Stops the engine, letting fake time run through its grace period. */
  async function shutdown(): Promise<void> {
    const stopping = engine.stop(0);
    await clock.advance(1);
    await stopping;
  }
  return { clock, config, store, claims, rateLimitedClaims, rateLimits, transport, subs, unreadable, errors, healthCalls, outcomes, engine, dispatch, state, shutdown };
}

describe('DeliveryEngine (fake clock, memory store, fake transport)', () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it('sends handed-over deliveries without a claim, and records them delivered', async () => {
    const t = setup();
    stop = t.shutdown;
    t.subs.set('a', sub('a'));
    t.transport.auto.set(sub('a').url, OK);
    await t.engine.poll(); // the start-up claim: nothing due
    const claimsBefore = t.claims.length;
    await t.dispatch(['a']);
    await t.clock.flush();
    expect(t.transport.sent).toEqual([sub('a').url]);
    expect(await t.state('e1', 'a')).toMatchObject({ status: 'delivered', locked_by: null, attempts: 1 });
    expect(t.outcomes.map((o) => o.type)).toEqual(['delivered']);
    // the slot freed by the send may wake a claim, which the planner skips: nothing new is due
    expect(t.claims.length).toBe(claimsBefore);
  });

  it('retries on its timer with the backoff delay, then dead-letters after retry_max_attempts', async () => {
    const t = setup({ retry_max_attempts: 3 });
    stop = t.shutdown;
    t.subs.set('a', sub('a'));
    t.transport.auto.set(sub('a').url, { status_code: 500, error_message: 'HTTP 500' });
    await t.dispatch(['a']);
    await t.clock.flush();
    expect(t.transport.sent).toHaveLength(1);
    expect((await t.state('e1', 'a')).next_attempt_at.getTime()).toBe(t.clock.now() + 1000);
    await t.clock.advance(999);
    expect(t.transport.sent).toHaveLength(1);
    await t.clock.advance(1);
    expect(t.transport.sent).toHaveLength(2);
    await t.clock.advance(2000);
    expect(t.transport.sent).toHaveLength(3);
    expect(await t.state('e1', 'a')).toMatchObject({ status: 'dead_letter', attempts: 3 });
    expect(t.outcomes.map((o) => o.type)).toEqual(['failed', 'failed', 'dead_lettered']);
    expect(t.healthCalls).toEqual(['failed:a', 'failed:a', 'failed:a']);
  });

  it('keeps a slow endpoint to its cap and leaves it out of claims, so the other endpoints are served', async () => {
    const t = setup({ max_concurrent_per_endpoint: 2, max_concurrent_deliveries: 16 });
    stop = t.shutdown;
    t.subs.set('slow', sub('slow'));
    t.subs.set('fast', sub('fast'));
    t.transport.auto.set(sub('fast').url, OK);
    for (let i = 0; i < 20; i++) await t.dispatch(['slow', 'fast'], false);
    await t.clock.flush();
    // fast is fully served while slow hangs with its cap in flight and at most as many held
    expect(t.transport.sent.filter((u) => u === sub('fast').url)).toHaveLength(20);
    expect(t.transport.maxInFlight.get(sub('slow').url)).toBe(2);
    const leasedSlow = (await Promise.all(Array.from({ length: 20 }, (_, i) => t.state(`e${i + 1}`, 'slow')))).filter((d) => d.locked_by).length;
    expect(leasedSlow).toBeLessThanOrEqual(4);
    // every claim took at most the claim share of one subscription, and left slow out once it was saturated
    expect(t.claims.every((c) => c.per_subscription_limit === 2)).toBe(true);
    expect(t.claims.some((c) => c.exclude_subscription_ids?.includes('slow'))).toBe(true);
    // once slow answers, its backlog drains from the store, two at a time
    for (let round = 0; round < 20 && t.transport.answerAll(sub('slow').url, OK) > 0; round++) await t.clock.flush();
    expect(t.transport.sent.filter((u) => u === sub('slow').url)).toHaveLength(20);
    expect(t.transport.maxInFlight.get(sub('slow').url)).toBe(2);
  });

  it('hands over only up to the cap while a backlog waits in the store, so claims drain it oldest first', async () => {
    const t = setup({ max_concurrent_per_endpoint: 2, max_concurrent_deliveries: 64 });
    stop = t.shutdown;
    t.subs.set('a', sub('a'));
    await t.engine.poll();
    // a burst: 4 handed over (twice the cap), the rest stored for a claim
    const burst: string[] = [];
    for (let i = 0; i < 10; i++) burst.push(...(await t.dispatch(['a'])));
    await t.clock.flush();
    const leases = await Promise.all(burst.map((id) => t.store.getDelivery(id.replace(/-a$/, ''), 'a')));
    expect(leases.filter((d) => d!.locked_by).length).toBe(4);
    // then a stream faster than the endpoint (three new events per round, it answers the two in flight): fresh
    // ones are handed over only while fewer than the cap are busy, so claims drain the burst first
    for (let round = 0; round < 30; round++) {
      t.transport.answerAll(sub('a').url, OK);
      // the answers free their slots; new events arrive before the claim those slots asked for has run
      await settle();
      for (let i = 0; i < 3; i++) await t.dispatch(['a']);
      await t.clock.flush();
    }
    const sentOrder = t.transport.bodies.map((b) => (JSON.parse(b) as { n: number }).n);
    const positions = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((n) => sentOrder.indexOf(n));
    expect(positions.every((p) => p >= 0)).toBe(true);
    // the burst was done within the first 20 sends (the stream alone would have kept the endpoint busy)
    expect(Math.max(...positions)).toBeLessThan(20);
    const done = await Promise.all(burst.map((id) => t.state(id.replace(/-a$/, ''), 'a')));
    expect(done.every((d) => d.status === 'delivered')).toBe(true);
  });

  it('releases a held delivery whose lease would end before its send could, instead of sending it', async () => {
    const t = setup({ max_concurrent_per_endpoint: 1, delivery_timeout_seconds: 10, lease_seconds: 20 });
    stop = t.shutdown;
    t.subs.set('a', sub('a'));
    await t.engine.poll(); // the start-up claim: nothing due
    await t.dispatch(['a']);
    await t.dispatch(['a']);
    await t.clock.flush();
    expect(t.transport.open).toHaveLength(1);
    // the second waits for the slot until its lease has less than timeout + margin left
    await t.clock.advance(10_000);
    const claimsBefore = t.claims.length;
    const releaseLeases = t.store.releaseLeases.bind(t.store);
    const released: string[][] = [];
    t.store.releaseLeases = async (worker, ids) => (released.push([...(ids ?? [])]), releaseLeases(worker, ids));
    t.transport.answerAll(sub('a').url, OK);
    await t.clock.flush();
    // released, not sent on its old lease; once the release is stored a claim looks for it at once (not at the
    // next poll), and it goes out on the claim's fresh lease
    expect(released).toEqual([['e2-a']]);
    expect(t.claims.length).toBeGreaterThan(claimsBefore);
    expect(t.transport.sent).toHaveLength(2);
    expect(t.claims.at(-1)!.now.getTime()).toBe(t.clock.now());
  });

  it('410 Gone cancels the delivery and tells the subscriptions, publishing what they report', async () => {
    const t = setup();
    stop = t.shutdown;
    t.subs.set('a', sub('a'));
    t.transport.auto.set(sub('a').url, { status_code: 410, gone: true, error_message: 'HTTP 410' });
    await t.dispatch(['a']);
    await t.clock.flush();
    expect(await t.state('e1', 'a')).toMatchObject({ status: 'cancelled' });
    expect(t.healthCalls).toEqual(['gone:a']);
    expect(t.outcomes.map((o) => o.type)).toEqual(['failed', 'subscription_disabled']);
  });

  it('does not send to a deactivated subscription: the delivery is cancelled', async () => {
    const t = setup();
    stop = t.shutdown;
    t.subs.set('a', sub('a', { active: false }));
    await t.dispatch(['a']);
    await t.clock.flush();
    expect(t.transport.sent).toEqual([]);
    expect(await t.state('e1', 'a')).toMatchObject({ status: 'cancelled' });
    const attempts = await t.store.getAttempts({ subscription_id: 'a' });
    expect(attempts[0]).toMatchObject({ status: 'cancelled', error_message: 'not sent: subscription is inactive' });
  });

  it('keeps each subscription to its own cap (sends in flight and claim shares), the others to the module\'s', async () => {
    const t = setup({ max_concurrent_per_endpoint: 2, max_concurrent_deliveries: 32 });
    stop = t.shutdown;
    t.subs.set('one', sub('one', { max_concurrent_per_endpoint: 1 }));
    t.subs.set('six', sub('six', { max_concurrent_per_endpoint: 6 }));
    t.subs.set('plain', sub('plain'));
    for (let i = 0; i < 10; i++) await t.dispatch(['one', 'six', 'plain'], false);
    await t.clock.flush();
    for (let round = 0; round < 20 && t.transport.open.length > 0; round++) {
      for (const s of ['one', 'six', 'plain']) t.transport.answerAll(sub(s).url, OK);
      await t.clock.flush();
    }
    expect(['one', 'six', 'plain'].map((s) => t.transport.maxInFlight.get(sub(s).url))).toEqual([1, 6, 2]);
    expect(t.transport.sent).toHaveLength(30);
    // once read, their own shares go with every claim: what they may hold less their caps (every send takes 0 ms on
    // the fake clock, so all three are fast and may hold four caps; 'plain' is listed as it had a backlog)
    const shares = t.claims.at(-1)!.per_subscription_limits!;
    expect(shares.get('six')).toBe(4 * 6 - 6);
    expect(shares.get('one')).toBeLessThanOrEqual(4 * 1 - 1);
    expect([...shares.keys()].every((id) => ['one', 'six', 'plain'].includes(id))).toBe(true);
    // handed over too: no more than its own cap in flight
    for (let i = 0; i < 5; i++) await t.dispatch(['one']);
    await t.clock.flush();
    expect(t.transport.open.filter((o) => o.url === sub('one').url)).toHaveLength(1);
    // a cap set back to null is forgotten
    t.subs.set('six', sub('six'));
    await t.dispatch(['six']);
    expect(t.engine.reserve([sub('six')]).leases).toHaveLength(1);
    await t.clock.flush();
    const claimsBefore = t.claims.length;
    await t.engine.poll();
    expect(t.claims.length).toBe(claimsBefore + 1);
    // 'six' is no longer listed with a share of its own (nor is anything backlogged any more): only 'one' keeps one,
    // and its four caps are busy (1 sending, 3 held; the fifth went back to the store), so it is left out
    const last = t.claims.at(-1)!;
    expect([...last.per_subscription_limits!.keys()]).toEqual(['one']);
    expect(last.per_subscription_limits!.get('one')).toBe(0);
    expect(last.exclude_subscription_ids).toEqual(['one']);
  });

  it('retries as often as the subscription\'s own retry_max_attempts says, the others as the module says', async () => {
    const t = setup({ retry_max_attempts: 3 });
    stop = t.shutdown;
    t.subs.set('once', sub('once', { retry_max_attempts: 1 }));
    t.subs.set('plain', sub('plain'));
    for (const s of ['once', 'plain']) t.transport.auto.set(sub(s).url, { status_code: 500, error_message: 'HTTP 500' });
    await t.dispatch(['once', 'plain']);
    await t.clock.advance(10_000);
    expect(await t.state('e1', 'once')).toMatchObject({ status: 'dead_letter', attempts: 1 });
    expect(await t.state('e1', 'plain')).toMatchObject({ status: 'dead_letter', attempts: 3 });
  });

  it('gives each send the subscription\'s own timeout (the module\'s otherwise), cut to what its lease has left', async () => {
    const t = setup({ delivery_timeout_seconds: 10, lease_seconds: 30, max_concurrent_per_endpoint: 1 });
    stop = t.shutdown;
    t.subs.set('quick', sub('quick', { delivery_timeout_seconds: 0.5 }));
    t.subs.set('slow', sub('slow', { delivery_timeout_seconds: 25 }));
    t.subs.set('plain', sub('plain'));
    t.transport.auto.set(sub('quick').url, OK);
    t.transport.auto.set(sub('plain').url, OK);
    await t.dispatch(['quick', 'plain', 'slow']);
    await t.clock.flush();
    expect(t.transport.timeouts).toEqual([500, undefined, 25_000]);
    // a second one to slow is handed over and waits for the slot: its 30 s lease runs down meanwhile
    await t.dispatch(['slow']);
    await t.clock.advance(10_000);
    t.transport.answerAll(sub('slow').url, OK);
    await t.clock.flush();
    // 20 s left: the send gets that, less a second for the lease to outlive it
    expect(t.transport.timeouts).toEqual([500, undefined, 25_000, 19_000]);
  });

  it('never hands a rate-limited subscription\'s deliveries over: claims them within its tokens, and wakes when the next comes', async () => {
    const t = setup();
    stop = t.shutdown;
    t.subs.set('r', sub('r', { rate_limit_per_second: 10 }));
    t.rateLimits.set('r', 10);
    t.transport.auto.set(sub('r').url, OK);
    await t.engine.poll();
    const generalClaims = t.claims.length;
    for (let i = 0; i < 5; i++) await t.dispatch(['r']);
    // nothing was stored leased by the hand-off
    for (let i = 1; i <= 5; i++) expect((await t.state(`e${i}`, 'r')).locked_by === null || (await t.state(`e${i}`, 'r')).status === 'delivered').toBe(true);
    await t.clock.flush();
    // 10/s: a burst of 1, then one every 111.112 ms (90% of the limit), each on a timer rounded up to the millisecond
    const interval = Math.ceil(emissionIntervalUs(10) / 1000);
    expect(t.transport.sent).toHaveLength(1);
    await t.clock.advance(interval - 1);
    expect(t.transport.sent).toHaveLength(1);
    await t.clock.advance(1);
    expect(t.transport.sent).toHaveLength(2);
    await t.clock.advance(3 * interval + 5);
    expect(t.transport.sent).toHaveLength(5);
    expect(t.transport.sent.every((u) => u === sub('r').url)).toBe(true);
    // the token timers woke only the rate-limited claim, not general ones
    expect(t.claims.length - generalClaims).toBeLessThanOrEqual(1);
    expect(t.rateLimitedClaims.length).toBeGreaterThanOrEqual(5);
    // with nothing left, no timer keeps waking it
    const asked = t.rateLimitedClaims.length;
    await t.clock.advance(5000);
    expect(t.rateLimitedClaims.length).toBe(asked);
  });

  it('a subscription whose secret cannot be decrypted is not sent to (logged, left leased to retry), and the others of its claim are', async () => {
    const t = setup({ delivery_timeout_seconds: 10, lease_seconds: 20 });
    stop = t.shutdown;
    for (const id of ['locked', 'fine']) t.subs.set(id, sub(id));
    t.transport.auto.set(sub('fine').url, OK);
    t.transport.auto.set(sub('locked').url, OK);
    t.unreadable.set('locked', new SecretDecryptionError('cannot decrypt the secret of subscription locked: it was encrypted with key 0badc0de, which is not in secret_encryption_keys', '0badc0de'));
    await t.dispatch(['locked', 'fine'], false); // both in one claim
    await t.clock.flush();
    expect(t.transport.sent).toEqual([sub('fine').url]);
    expect(await t.state('e1', 'fine')).toMatchObject({ status: 'delivered' });
    // not released at once (it would be claimed again in a loop): its lease runs out, then it is claimed again
    expect(await t.state('e1', 'locked')).toMatchObject({ status: 'pending', locked_by: 'w1', attempts: 0 });
    expect(t.errors).toEqual([expect.stringMatching(/^deliveries to subscription locked not sent .*secret_encryption_keys/)]);
    await t.clock.advance(20_000);
    await t.engine.poll();
    await t.clock.flush();
    expect(t.transport.sent).toEqual([sub('fine').url]);
    expect(t.errors).toHaveLength(2);
    // with the key back, the next claim after the lease sends it
    t.unreadable.delete('locked');
    await t.clock.advance(20_000);
    await t.engine.poll();
    await t.clock.flush();
    expect(t.transport.sent).toEqual([sub('fine').url, sub('locked').url]);
    expect(await t.state('e1', 'locked')).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('any other lookup failure fails the claim round as before', async () => {
    const t = setup();
    stop = t.shutdown;
    t.subs.set('a', sub('a'));
    t.unreadable.set('a', new Error('database down'));
    await t.dispatch(['a'], false);
    await t.clock.flush();
    expect(t.transport.sent).toEqual([]);
    expect(t.errors).toEqual([expect.stringMatching(/^claiming deliveries failed .*database down/)]);
  });

  it('on stop: releases held deliveries, waits for sends up to the grace period, then aborts them and releases their leases', async () => {
    const t = setup({ max_concurrent_per_endpoint: 1 });
    t.subs.set('a', sub('a'));
    await t.dispatch(['a']);
    await t.dispatch(['a']);
    await t.clock.flush();
    expect(t.transport.open).toHaveLength(1);
    let stopped = false;
    const stopping = t.engine.stop(5000).then(() => (stopped = true));
    await t.clock.flush();
    // the held one is released at once; the one sending has its grace period
    expect(await t.state('e2', 'a')).toMatchObject({ locked_by: null });
    expect(stopped).toBe(false);
    await t.clock.advance(5000);
    await stopping;
    expect(await t.state('e1', 'a')).toMatchObject({ status: 'pending', locked_by: null, attempts: 0 });
    expect(await t.store.getAttempts()).toEqual([]);
    // no new work is taken after stop
    expect(t.engine.reserve([sub('a')]).leases).toEqual([null]);
  });
  it('leases the deliveries of transactions that commit while a lease write is in flight in one write', async () => {
    const t = setup({}, false);
    stop = t.shutdown;
    t.subs.set('a', sub('a'));
    t.transport.auto.set(sub('a').url, OK);
    await t.engine.poll();
    const calls: string[][] = [];
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const leaseByIds = t.store.leaseByIds.bind(t.store);
    t.store.leaseByIds = async (ids, lease, now) => {
      calls.push([...ids]);
      if (calls.length === 1) await gate;
      return leaseByIds(ids, lease, now);
    };
    const committed = [];
    for (let n = 1; n <= 3; n++) {
      const event: StoredEvent = { event_id: `t${n}`, event_type: 't', body: '{}', occurred_at: new Date(0), source: null, created_at: new Date(0) };
      await t.store.enqueue([{ event, deliveries: [{ delivery_id: `t${n}-a`, subscription_id: 'a', lease: null }] }]);
      committed.push({ event, targets: [sub('a')], deliveryIds: [`t${n}-a`] });
    }
    const first = t.engine.adoptCommitted([committed[0]]);
    while (calls.length === 0) await new Promise((r) => setImmediate(r));
    const rest = [t.engine.adoptCommitted([committed[1]]), t.engine.adoptCommitted([committed[2]])];
    open();
    await Promise.all([first, ...rest]);
    await t.clock.flush();
    expect(calls).toEqual([['t1-a'], ['t2-a', 't3-a']]);
    expect(t.transport.sent).toHaveLength(3);
    expect(await t.state('t3', 'a')).toMatchObject({ status: 'delivered' });
  });
});
