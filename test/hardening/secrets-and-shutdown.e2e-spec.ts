import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { verifyWebhook, WEBHOOK_DELIVERY_STORE, WEBHOOK_SUBSCRIPTION_STORE, WebhookDeliveryService, WebhookModule, WebhookSubscriptionService, WebhookVerificationError, type WebhookModuleOptions, type WebhookOutcome } from '../../lib';
import { MemoryDeliveryStore, MemorySubscriptionStore } from '../../lib/stores/memory';
import { standardWebhooksKey } from '../../lib/signing/secret';
import { createTestApp, FAST, type TestApp } from '../support/app';
import { hang, ok, TestReceiver, waitFor, type Behaviour } from '../support/receiver';
import { sleep, storeSubscriptionDirectly } from './helpers';

const LEVELS = ['log', 'error', 'warn', 'debug', 'verbose', 'fatal'] as const;

/** Every way a secret could be written down: as given, its base64 body, the key bytes in hex and base64url. */
function secretForms(secret: string): string[] {
  const body = secret.replace(/^whsec_/, '');
  const key = standardWebhooksKey(secret);
  return [secret, body, key.toString('hex'), key.toString('base64url')];
}

/** Issue 5.6: secrets never reach logs or error messages; signatures compare in constant time; replays are refused. */
describe('secrets stay secret', () => {
  let receiver: TestReceiver;
  let t: TestApp | undefined;
  const lines: string[] = [];
  const spies: Array<{ mockRestore(): void }> = [];

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    const capture =
      (level: string) =>
      (...args: unknown[]) => {
        lines.push(`${level}: ${args.map((a) => (a instanceof Error ? `${a.message}\n${a.stack}` : typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
      };
    for (const level of LEVELS) {
      spies.push(jest.spyOn(Logger.prototype, level).mockImplementation(capture(level) as never));
      spies.push(jest.spyOn(Logger, level).mockImplementation(capture(level) as never));
    }
    for (const level of ['log', 'warn', 'error', 'info', 'debug'] as const) spies.push(jest.spyOn(console, level).mockImplementation(capture(`console.${level}`) as never));
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    for (const spy of spies) spy.mockRestore();
    await receiver.close();
  });

  it('no subscription secret appears in any log line, attempt error_message, outcome or disabled_reason', async () => {
    t = await createTestApp({
      allow_private_urls: false,
      allowed_hosts: ['127.0.0.1'],
      retry_max_attempts: 2,
      delivery_timeout_seconds: 0.3,
      disable_after_consecutive_failures: 3,
      shutdown_timeout_seconds: 0.1,
      secret_rotation_grace_hours: 1,
    });
    // A receiver that echoes everything it got (headers included) in a 500: the error_message then holds
    // signatures, which is fine, but must never hold the secret.
    const echo: Behaviour = (req, res, body) => ok(500, JSON.stringify({ headers: req.headers, body }))(req, res, body, 0);
    receiver.on('/echo', echo).on('/gone', ok(410, 'gone')).on('/fail', ok(503, 'down')).on('/hang', hang()).on('/ok', ok());
    const subs = [
      await t.subscriptions.create({ url: receiver.url('/echo'), event_types: ['echo'] }),
      await t.subscriptions.create({ url: receiver.url('/gone'), event_types: ['gone'] }),
      await t.subscriptions.create({ url: receiver.url('/fail'), event_types: ['fail'] }),
      await t.subscriptions.create({ url: receiver.url('/hang'), event_types: ['hang'] }),
      await t.subscriptions.create({ url: receiver.url('/ok'), event_types: ['ok'] }),
      await t.subscriptions.create({ url: 'http://127.0.0.1:1/refused', event_types: ['refused'] }),
      await storeSubscriptionDirectly(t.subscriptionStore, `http://[::1]:${receiver.port}/ok`, { event_types: ['ssrf'] }),
      await storeSubscriptionDirectly(t.subscriptionStore, 'http://169.254.169.254/latest/meta-data/', { event_types: ['ssrf'] }),
    ];
    // A rotation: the previous secret must stay as secret as the current one.
    const rotated = await t.subscriptions.rotateSecret(subs[4].subscription_id);
    const secrets = [...subs.map((s) => s.secret), rotated.secret];
    expect(new Set(secrets).size).toBe(secrets.length);

    for (const event_type of ['echo', 'gone', 'fail', 'fail', 'fail', 'fail', 'hang', 'ok', 'refused', 'ssrf']) await t.delivery.dispatch({ event_type, payload: { event_type } });
    await waitFor(async () => !(await t!.subscriptions.get(subs[1].subscription_id)).active, '410 disable');
    await waitFor(async () => !(await t!.subscriptions.get(subs[2].subscription_id)).active, 'auto-disable');
    await waitFor(async () => (await t!.deliveries.getAttempts({ subscription_id: subs[6].subscription_id })).length >= 2, 'the SSRF refusals');
    await waitFor(async () => (await t!.deliveries.getAttempts({ subscription_id: subs[3].subscription_id })).length >= 1, 'a timeout');
    // Leave a send hanging so close() logs its shutdown warning too.
    await t.delivery.dispatch({ event_type: 'hang', payload: {} });
    await waitFor(() => receiver.received('/hang').length >= 2, 'the second hanging send');
    const outcomes: WebhookOutcome[] = [...t.outcomes];
    const attempts = await t.deliveries.getAttempts({ limit: 1000 });
    const stored = await Promise.all(subs.map((s) => t!.subscriptionStore.get(s.subscription_id)));
    await t.close();
    t = undefined;

    // The scenario really produced the interesting lines and messages.
    const messages = attempts.map((a) => a.error_message ?? '');
    expect(messages.some((m) => m.startsWith('HTTP 500: {"headers"'))).toBe(true);
    expect(messages.some((m) => m.startsWith('HTTP 410'))).toBe(true);
    expect(messages.some((m) => m.startsWith('refused: '))).toBe(true);
    expect(messages.some((m) => m.startsWith('timeout after'))).toBe(true);
    expect(messages.some((m) => m === 'connection refused')).toBe(true);
    expect(lines.some((l) => /disabled: receiver answered 410 Gone/.test(l))).toBe(true);
    expect(lines.some((l) => /disabled: 3 consecutive failures/.test(l))).toBe(true);
    expect(lines.some((l) => /sends still running/.test(l))).toBe(true);

    const haystacks = [
      ...lines,
      ...messages,
      ...outcomes.map((o) => JSON.stringify(o)),
      ...stored.map((s) => s?.disabled_reason ?? ''),
      // What receivers got: signatures, never the secret.
      ...receiver.requests.map((r) => JSON.stringify(r.headers) + r.body),
    ];
    for (const secret of secrets) {
      for (const form of secretForms(secret)) {
        const leaks = haystacks.filter((h) => h.includes(form));
        expect(leaks).toEqual([]);
      }
    }
  });

  it('the verifier refuses stale and future timestamps beyond the tolerance (replay protection)', async () => {
    t = await createTestApp();
    receiver.on('/replay', ok());
    const sub = await t.subscriptions.create({ url: receiver.url('/replay') });
    await t.delivery.dispatch({ event_type: 'a', payload: { replay: true } });
    const [req] = await waitFor(() => receiver.received('/replay').length && receiver.received('/replay'), 'the delivery');
    const sentAt = Number(req.headers['webhook-timestamp']) * 1000;
    const at = (offsetSeconds: number) => ({ now: new Date(sentAt + offsetSeconds * 1000) });
    expect(verifyWebhook(req.body, req.headers, sub.secret, at(0))).toBe(true);
    expect(verifyWebhook(req.body, req.headers, sub.secret, at(299))).toBe(true);
    expect(verifyWebhook(req.body, req.headers, sub.secret, at(-299))).toBe(true);
    expect(() => verifyWebhook(req.body, req.headers, sub.secret, at(301))).toThrow(/timestamp too old .*possible replay/);
    expect(() => verifyWebhook(req.body, req.headers, sub.secret, at(-301))).toThrow(/timestamp too far in the future/);
    expect(() => verifyWebhook(req.body, req.headers, sub.secret, { ...at(31), tolerance_seconds: 30 })).toThrow(WebhookVerificationError);
    // Re-signing is impossible without the secret: moving the timestamp breaks the signature.
    const moved = { ...req.headers, 'webhook-timestamp': String(Number(req.headers['webhook-timestamp']) + 1) };
    expect(() => verifyWebhook(req.body, moved, sub.secret, at(1))).toThrow(/no signature matches/);
    // Errors say what is wrong, never what the secret is.
    for (const bad of [() => verifyWebhook(req.body + ' ', req.headers, sub.secret), () => verifyWebhook(req.body, req.headers, sub.secret, at(1000))]) {
      const err = (() => {
        try {
          bad();
        } catch (e) {
          return e as Error;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(WebhookVerificationError);
      for (const form of secretForms(sub.secret)) expect(err!.message).not.toContain(form);
    }
  });
});

/** Issue 5.7: app.close() during a burst finishes or releases every in-flight delivery; a restart delivers the rest. */
describe('shutdown under load', () => {
  let receiver: TestReceiver;
  const timers = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/burst', (_req, res) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.end('ok');
      }, 50);
      timers.add(timer);
    });
  });
  afterAll(async () => {
    for (const timer of timers) clearTimeout(timer);
    await receiver.close();
  });

  /** An app on the given stores (two apps on the same instances = a restart against one database). */
  async function appOn(deliveries: MemoryDeliveryStore, subscriptions: MemorySubscriptionStore, options: WebhookModuleOptions) {
    const module = await Test.createTestingModule({ imports: [WebhookModule.forRoot({ ...FAST, ...options })] })
      .overrideProvider(WEBHOOK_DELIVERY_STORE)
      .useValue(deliveries)
      .overrideProvider(WEBHOOK_SUBSCRIPTION_STORE)
      .useValue(subscriptions)
      .compile();
    await module.init();
    return { module, delivery: module.get(WebhookDeliveryService), subscriptions: module.get(WebhookSubscriptionService) };
  }

  it.each([
    ['aborts and releases the sends still running after shutdown_timeout_seconds', 0.02],
    ['lets the sends in flight finish within shutdown_timeout_seconds', 5],
  ])('app.close() mid-burst %s; nothing stays leased, and a restart delivers the rest', async (_what, shutdownTimeout) => {
    const deliveries = new MemoryDeliveryStore();
    const subscriptions = new MemorySubscriptionStore();
    const options: WebhookModuleOptions = { shutdown_timeout_seconds: shutdownTimeout, max_concurrent_per_endpoint: 8, retry_max_attempts: 10 };
    const first = await appOn(deliveries, subscriptions, options);
    const sub = await first.subscriptions.create({ url: receiver.url('/burst') });
    const already = receiver.received('/burst').length;
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) ids.push((await first.delivery.dispatch({ event_type: 'burst', payload: { i } })).event_id);
    await waitFor(() => receiver.received('/burst').length - already >= 30, 'the burst to be under way');
    const closeStarted = Date.now();
    await first.module.close();
    const closeTook = Date.now() - closeStarted;
    const receivedAtClose = receiver.received('/burst').length;

    // Every delivery is finished or back in the queue with no lease: nothing waits for a lease to expire.
    const states = await Promise.all(ids.map((id) => deliveries.getDelivery(id, sub.subscription_id)));
    for (const d of states) {
      expect(d).not.toBeNull();
      expect(['delivered', 'pending']).toContain(d!.status);
      expect(d!.locked_by).toBeNull();
      expect(d!.locked_until).toBeNull();
    }
    const deliveredBeforeRestart = states.filter((d) => d!.status === 'delivered').length;
    expect(deliveredBeforeRestart).toBeGreaterThan(0);
    expect(deliveredBeforeRestart).toBeLessThan(200);
    // Closing does not wait for the backlog, only (at most) for the sends in flight.
    expect(closeTook).toBeLessThan(shutdownTimeout * 1000 + 2000);
    // And nothing is sent after close() returned.
    await sleep(200);
    expect(receiver.received('/burst').length).toBe(receivedAtClose);

    const second = await appOn(deliveries, subscriptions, options);
    try {
      await waitFor(async () => {
        const all = await Promise.all(ids.map((id) => deliveries.getDelivery(id, sub.subscription_id)));
        return all.every((d) => d?.status === 'delivered');
      }, 'every delivery after the restart', 20_000);
    } finally {
      await second.module.close();
    }
    const got = receiver.received('/burst').slice(already).map((r) => r.headers['webhook-id'] as string);
    expect(new Set(got)).toEqual(new Set(ids));
    // At-least-once: only a send cut off by the shutdown can arrive twice (receivers dedupe on webhook-id).
    const duplicates = got.length - new Set(got).size;
    if (shutdownTimeout >= 1) expect(duplicates).toBe(0);
    else expect(duplicates).toBeLessThanOrEqual(options.max_concurrent_per_endpoint!);
    // Every attempt was logged once per real send outcome: no attempt logged for a send cut off by shutdown.
    const attempts = await deliveries.getAttempts({ subscription_id: sub.subscription_id, limit: 1000 });
    expect(attempts.filter((a) => a.status === 'delivered')).toHaveLength(200);
    expect(attempts.filter((a) => a.status !== 'delivered')).toHaveLength(0);
  });

  it('releases every lease before close() returns, also with a store that answers slowly (like a remote database)', async () => {
    /** The memory store with database-like latency on the queue operations. */
    class SlowStore extends MemoryDeliveryStore {
      override async claimDue(...args: Parameters<MemoryDeliveryStore['claimDue']>) {
        await sleep(80);
        return super.claimDue(...args);
      }
      override async releaseLeases(...args: Parameters<MemoryDeliveryStore['releaseLeases']>) {
        await sleep(80);
        return super.releaseLeases(...args);
      }
      override async complete(...args: Parameters<MemoryDeliveryStore['complete']>) {
        await sleep(10);
        return super.complete(...args);
      }
    }
    for (let round = 0; round < 3; round++) {
      const deliveries = new SlowStore();
      const subscriptions = new MemorySubscriptionStore();
      // A small global cap and batch so claims keep running while close() happens.
      const app = await appOn(deliveries, subscriptions, { shutdown_timeout_seconds: 0.02, max_concurrent_deliveries: 4, max_concurrent_per_endpoint: 2, claim_batch_size: 2 });
      const subs = [await app.subscriptions.create({ url: receiver.url('/burst') }), await app.subscriptions.create({ url: receiver.url('/burst') })];
      const ids: string[] = [];
      for (let i = 0; i < 150; i++) ids.push((await app.delivery.dispatch({ event_type: 'slow-store', payload: { i } })).event_id);
      await sleep(100 + round * 70);
      const closeStarted = Date.now();
      await app.module.close();
      // close() waits for the claim under way and the sends in flight, never for the backlog (300 deliveries at
      // 4 at a time x 50 ms would take seconds).
      expect(Date.now() - closeStarted).toBeLessThan(1500);
      const states = (await Promise.all(ids.flatMap((id) => subs.map((s) => deliveries.getDelivery(id, s.subscription_id))))).map((d) => d!);
      expect(states.filter((d) => d.locked_by !== null)).toEqual([]);
      expect(states.every((d) => d.status === 'pending' || d.status === 'delivered')).toBe(true);
    }
  });
});
