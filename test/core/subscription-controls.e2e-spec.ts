import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import {
  InvalidSubscriptionError,
  SubscriptionNotFoundError,
  verifyWebhook,
  WEBHOOK_DELIVERY_STORE,
  WebhookDeliveryService,
  WebhookSubscriptionService,
  type WebhookDeliveryStore,
  type WebhookModuleOptions,
} from '../../lib';
import { startOnStore } from '../support/app';
import { describeIfDatabase, type DatabaseKind } from '../support/databases';
import { failTimes, hang, ok, sleep, TestReceiver, waitFor } from '../support/receiver';

/** Every line any Nest logger printed while a harness ran (to check that header values never appear). */
const logged: string[] = [];
const recorder: LoggerService = {
  log: (m: unknown) => void logged.push(String(m)),
  error: (m: unknown, ...rest: unknown[]) => void logged.push([m, ...rest].map(String).join(' ')),
  warn: (m: unknown) => void logged.push(String(m)),
  debug: (m: unknown) => void logged.push(String(m)),
  verbose: (m: unknown) => void logged.push(String(m)),
};

interface Harness {
  delivery: WebhookDeliveryService;
  subscriptions: WebhookSubscriptionService;
  store: WebhookDeliveryStore;
  close(): Promise<void>;
}

async function start(kind: 'memory' | DatabaseKind, options: WebhookModuleOptions = {}): Promise<Harness> {
  const { module, close } = await startOnStore(kind, options, { namespace: 'webhook_controls', logger: recorder });
  return {
    delivery: module.get(WebhookDeliveryService),
    subscriptions: module.get(WebhookSubscriptionService),
    store: module.get<WebhookDeliveryStore>(WEBHOOK_DELIVERY_STORE),
    close: async () => {
      await close();
      Logger.overrideLogger(false);
    },
  };
}

const CREDENTIAL = 'Bearer s3cr3t-t0ken-nobody-may-see';

function suite(kind: 'memory' | DatabaseKind): void {
  let receiver: TestReceiver;
  let h: Harness | undefined;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
  });
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });
  afterAll(async () => {
    await receiver.close();
  });

  const received = (path: string) => receiver.received(path);

  describe('headers', () => {
    it('go with every delivery and test send; the signature still verifies with the official library and ours', async () => {
      h = await start(kind);
      receiver.on('/h', ok());
      const sub = await h.subscriptions.create({ url: receiver.url('/h'), headers: { Authorization: CREDENTIAL, 'X-Tenant': 'acme', 'user-agent': 'custom-agent' } });
      expect(sub.headers).toEqual({ authorization: CREDENTIAL, 'x-tenant': 'acme', 'user-agent': 'custom-agent' });
      await h.delivery.dispatch({ event_type: 'invoice.paid', payload: { n: 1 } });
      const [req] = await waitFor(() => received('/h').length > 0 && received('/h'), 'the delivery');
      expect(req.headers).toMatchObject({ authorization: CREDENTIAL, 'x-tenant': 'acme', 'user-agent': 'custom-agent', 'content-type': 'application/json' });
      expect(new Webhook(sub.secret).verify(req.body, req.headers as Record<string, string>)).toMatchObject({ event_type: 'invoice.paid', payload: { n: 1 } });
      expect(verifyWebhook(req.body, req.headers, sub.secret)).toBe(true);
      await h.subscriptions.sendTest(sub.subscription_id);
      expect(received('/h')[1].headers.authorization).toBe(CREDENTIAL);
      // an update replaces them all
      await h.subscriptions.update(sub.subscription_id, { headers: null });
      expect((await h.subscriptions.get(sub.subscription_id)).headers).toEqual({});
    });

    it.each([['webhook-signature'], ['Webhook-Id'], ['webhook-timestamp'], ['webhook-event-type'], ['webhook-signature-previous'], ['host'], ['Content-Length'], ['content-type'], ['transfer-encoding'], ['connection']])(
      'refuses %s, naming it, and stores nothing',
      async (name) => {
        h ??= await start(kind);
        const err = await h.subscriptions.create({ url: receiver.url('/h'), headers: { [name]: 'x' } }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidSubscriptionError);
        expect((err as InvalidSubscriptionError).field).toBe('headers');
        expect((err as Error).message).toContain(name.toLowerCase());
        expect(await h.subscriptions.list({ active_only: false })).toEqual([]);
      },
    );

    it('refuses the module headers under their configured names only, bad names and values with CR/LF, without repeating the value', async () => {
      h = await start(kind, { signature_header: 'X-Signature', event_id_header: 'X-Event-Id' });
      await expect(h.subscriptions.create({ url: receiver.url('/h'), headers: { 'x-signature': 'v' } })).rejects.toThrow('headers.x-signature: x-signature is set by the module');
      await expect(h.subscriptions.create({ url: receiver.url('/h'), headers: { 'X-EVENT-ID': 'v' } })).rejects.toThrow('x-event-id is set by the module');
      // free under this config
      expect((await h.subscriptions.create({ url: receiver.url('/h'), headers: { 'webhook-signature': 'v' } })).headers).toEqual({ 'webhook-signature': 'v' });
      await expect(h.subscriptions.create({ url: receiver.url('/h'), headers: { 'bad name': 'v' } })).rejects.toThrow('is not a valid HTTP header name');
      const crlf = await h.subscriptions.create({ url: receiver.url('/h'), headers: { 'x-a': `${CREDENTIAL}\r\nx-injected: 1` } }).catch((e: Error) => e);
      expect((crlf as Error).message).toContain('headers.x-a: has a character that is not allowed');
      expect((crlf as Error).message).not.toContain('s3cr3t');
      await expect(h.subscriptions.create({ url: receiver.url('/h'), headers: { 'x-a': 1 as unknown as string } })).rejects.toThrow('headers.x-a: must be a string');
      const many = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`x-h${i}`, 'v']));
      await expect(h.subscriptions.create({ url: receiver.url('/h'), headers: many })).rejects.toThrow('more than 32');
      await expect(h.subscriptions.create({ url: receiver.url('/h'), headers: { 'x-big': 'v'.repeat(9000) } })).rejects.toThrow('over 8192');
    });

    it('never appear in log lines, whatever happens to the deliveries', async () => {
      logged.length = 0;
      h = await start(kind, { retry_max_attempts: 2, disable_after_consecutive_failures: 2 });
      receiver.on('/down', ok(500, 'nope'));
      const sub = await h.subscriptions.create({ url: receiver.url('/down'), headers: { authorization: CREDENTIAL } });
      await h.delivery.dispatch({ event_type: 'a.b', payload: {} });
      await waitFor(async () => !(await h!.subscriptions.get(sub.subscription_id)).active, 'auto-disable');
      await h.subscriptions.sendTest(sub.subscription_id);
      await h.subscriptions.create({ url: receiver.url('/down'), headers: { 'x-a': `${CREDENTIAL}\n` } }).catch(() => undefined);
      expect(logged.some((l) => l.includes('disabled'))).toBe(true);
      expect(logged.filter((l) => l.includes('s3cr3t'))).toEqual([]);
    });
  });

  describe('filter', () => {
    for (const cacheMs of [1000, 0]) {
      it(`decides which subscriptions get a delivery row (subscription_cache_ms: ${cacheMs})`, async () => {
        h = await start(kind, { subscription_cache_ms: cacheMs });
        receiver.on('/f', ok());
        const big = await h.subscriptions.create({ url: receiver.url('/f'), filter: { 'payload.amount': { $gte: 100 }, 'payload.currency': { $in: ['EUR', 'USD'] } } });
        const eu = await h.subscriptions.create({ url: receiver.url('/f'), filter: { $or: [{ 'payload.customer.country': 'DE' }, { source: 'eu-billing' }] } });
        const notTest = await h.subscriptions.create({ url: receiver.url('/f'), filter: { $not: { 'payload.test': true } } });
        const all = await h.subscriptions.create({ url: receiver.url('/f') });
        const rowsFor = async (payload: unknown, source?: string) => {
          const { event_id, delivery_count } = await h!.delivery.dispatch({ event_type: 'invoice.paid', payload, source });
          const subs = [big, eu, notTest, all];
          const rows = await Promise.all(subs.map((s) => h!.store.getDelivery(event_id, s.subscription_id)));
          const with_ = subs.filter((_, i) => rows[i] !== null).map((s) => s.subscription_id);
          expect(with_).toHaveLength(delivery_count);
          return with_;
        };
        expect(await rowsFor({ amount: 150, currency: 'EUR', customer: { country: 'DE' } })).toEqual([big, eu, notTest, all].map((s) => s.subscription_id));
        expect(await rowsFor({ amount: 50, currency: 'EUR', test: true })).toEqual([all.subscription_id]);
        expect(await rowsFor({ amount: 100, currency: 'GBP' }, 'eu-billing')).toEqual([eu, notTest, all].map((s) => s.subscription_id));
        expect(await rowsFor('not an object')).toEqual([notTest, all].map((s) => s.subscription_id));
        // a change of filter applies to the next dispatch
        await h.subscriptions.update(big.subscription_id, { filter: null });
        expect(await rowsFor({ test: true })).toEqual([big, all].map((s) => s.subscription_id));
        await waitFor(() => received('/f').length >= 9, 'every delivery');
      });
    }

    it('is refused with an error that points at the bad part, and nothing is stored', async () => {
      h = await start(kind);
      const err = await h.subscriptions.create({ url: receiver.url('/f'), filter: { $and: [{ 'payload.a': 1 }, { 'payload.amount': { $gt: true } }] } as never }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidSubscriptionError);
      expect((err as Error).message).toBe('filter.$and[1].payload.amount.$gt: must be a number or a string (got true)');
      expect(await h.subscriptions.list({ active_only: false })).toEqual([]);
    });
  });

  describe('overrides', () => {
    it('retry_max_attempts: each endpoint gets its own number of attempts', async () => {
      h = await start(kind, { retry_max_attempts: 3 });
      receiver.on('/r1', ok(500)).on('/r3', ok(500)).on('/r5', failTimes(4, 503));
      const once = await h.subscriptions.create({ url: receiver.url('/r1'), retry_max_attempts: 1 });
      const module = await h.subscriptions.create({ url: receiver.url('/r3') });
      const five = await h.subscriptions.create({ url: receiver.url('/r5'), retry_max_attempts: 5 });
      const { event_id } = await h.delivery.dispatch({ event_type: 'a.b', payload: {} });
      const final = async (id: string) => (await h!.store.getDelivery(event_id, id))!;
      await waitFor(async () => (await final(once.subscription_id)).status === 'dead_letter' && (await final(module.subscription_id)).status === 'dead_letter' && (await final(five.subscription_id)).status === 'delivered', 'every endpoint done', 15_000, 50);
      expect((await final(once.subscription_id)).attempts).toBe(1);
      expect((await final(module.subscription_id)).attempts).toBe(3);
      expect((await final(five.subscription_id)).attempts).toBe(5);
    });

    it('delivery_timeout_seconds: a slow endpoint times out at its own limit, while the module\'s applies to the others', async () => {
      h = await start(kind, { delivery_timeout_seconds: 3, lease_seconds: 10, retry_max_attempts: 1 });
      receiver.on('/hang', hang()).on('/slowish', (_req, res) => void setTimeout(() => res.writeHead(200).end('late'), 1000));
      const quick = await h.subscriptions.create({ url: receiver.url('/hang'), delivery_timeout_seconds: 0.3 });
      const patient = await h.subscriptions.create({ url: receiver.url('/slowish') });
      const { event_id } = await h.delivery.dispatch({ event_type: 'a.b', payload: {} });
      const attempt = async (id: string) => (await h!.store.getAttempts({ event_id, subscription_id: id }))[0];
      const timedOut = await waitFor(() => attempt(quick.subscription_id), 'the quick timeout');
      expect(timedOut).toMatchObject({ status: 'dead_letter', error_message: 'timeout after 0.3s' });
      expect(timedOut.duration_ms).toBeLessThan(1500);
      expect(await waitFor(() => attempt(patient.subscription_id), 'the slow answer')).toMatchObject({ status: 'delivered', status_code: 200 });
      await expect(h.subscriptions.update(quick.subscription_id, { delivery_timeout_seconds: 10 })).rejects.toThrow('delivery_timeout_seconds must be less than lease_seconds (10)');
    });

    it('max_concurrent_per_endpoint: the endpoint never has more requests open than its own cap', async () => {
      h = await start(kind, { max_concurrent_per_endpoint: 8 });
      let open = 0;
      let most = 0;
      receiver.on('/narrow', (_req, res) => {
        most = Math.max(most, ++open);
        setTimeout(() => {
          open--;
          res.writeHead(200).end();
        }, 40);
      });
      await h.subscriptions.create({ url: receiver.url('/narrow'), max_concurrent_per_endpoint: 2 });
      await Promise.all(Array.from({ length: 12 }, (_, i) => h!.delivery.dispatch({ event_type: 'a.b', payload: { i } })));
      await waitFor(() => received('/narrow').length >= 12, 'all twelve', 15_000);
      expect(most).toBe(2);
    });

    it('rate_limit_per_second: the endpoint gets no more than its limit in any second, the others are not held back', async () => {
      h = await start(kind);
      const arrivals: number[] = [];
      receiver.on('/limited', (req, res) => {
        arrivals.push(performance.now());
        ok()(req, res, '', 0);
      });
      receiver.on('/free', ok());
      await h.subscriptions.create({ url: receiver.url('/limited'), event_types: ['limited.*'], rate_limit_per_second: 20 });
      await h.subscriptions.create({ url: receiver.url('/free'), event_types: ['free.*'] });
      const started = performance.now();
      await Promise.all(Array.from({ length: 30 }, (_, i) => h!.delivery.dispatch({ event_type: 'limited.x', payload: { i } })));
      await Promise.all(Array.from({ length: 30 }, (_, i) => h!.delivery.dispatch({ event_type: 'free.x', payload: { i } })));
      await waitFor(() => received('/free').length >= 30, 'the unlimited endpoint served', 5000);
      expect(arrivals.length).toBeLessThan(30);
      await waitFor(() => arrivals.length >= 30, 'all 30 at the limited endpoint', 10_000);
      let busiest = 0;
      for (const t of arrivals) busiest = Math.max(busiest, arrivals.filter((u) => u >= t && u < t + 1000).length);
      // Grants are 55.6 ms apart (90% of the limit); arrivals add this shared machine's scheduling noise, which can
      // bunch a few (over three replicas at 50/s the busiest second held 44).
      expect(busiest).toBeLessThanOrEqual(24);
      // 30 at 20/s: the last no sooner than 1.45 s after the first grant
      expect(arrivals[29] - started).toBeGreaterThanOrEqual(1400);
    });

    it('are validated against the bounds of the config keys, naming the field', async () => {
      h = await start(kind);
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ retry_max_attempts: 0 }, 'retry_max_attempts'],
        [{ retry_max_attempts: 1.5 }, 'retry_max_attempts'],
        [{ delivery_timeout_seconds: -1 }, 'delivery_timeout_seconds'],
        [{ delivery_timeout_seconds: 'soon' }, 'delivery_timeout_seconds'],
        [{ max_concurrent_per_endpoint: 0 }, 'max_concurrent_per_endpoint'],
        [{ rate_limit_per_second: 0.5 }, 'rate_limit_per_second'],
        [{ rate_limit_per_second: 10_001 }, 'rate_limit_per_second'],
      ];
      for (const [fields, field] of cases) {
        const err = await h.subscriptions.create({ url: receiver.url('/x'), ...fields }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(InvalidSubscriptionError);
        expect((err as InvalidSubscriptionError).field).toBe(field);
        expect((err as Error).message).toContain(field);
      }
      expect(await h.subscriptions.list({ active_only: false })).toEqual([]);
      const sub = await h.subscriptions.create({ url: receiver.url('/x'), retry_max_attempts: 2, delivery_timeout_seconds: 1.5, max_concurrent_per_endpoint: 3, rate_limit_per_second: 7 });
      expect(sub).toMatchObject({ retry_max_attempts: 2, delivery_timeout_seconds: 1.5, max_concurrent_per_endpoint: 3, rate_limit_per_second: 7 });
      // a bad one in an update changes nothing, not even the good fields beside it
      await expect(h.subscriptions.update(sub.subscription_id, { retry_max_attempts: 9, max_concurrent_per_endpoint: -1 })).rejects.toThrow('max_concurrent_per_endpoint');
      expect(await h.subscriptions.get(sub.subscription_id)).toMatchObject({ retry_max_attempts: 2, max_concurrent_per_endpoint: 3 });
      expect(await h.subscriptions.update(sub.subscription_id, { retry_max_attempts: null, delivery_timeout_seconds: null, max_concurrent_per_endpoint: null, rate_limit_per_second: null })).toMatchObject({
        retry_max_attempts: null,
        delivery_timeout_seconds: null,
        max_concurrent_per_endpoint: null,
        rate_limit_per_second: null,
      });
    });
  });

  describe('sendTest', () => {
    it('sends one signed webhook.test to that endpoint only, and resolves with the logged attempt', async () => {
      h = await start(kind);
      receiver.on('/t', ok()).on('/other', ok());
      const sub = await h.subscriptions.create({ url: receiver.url('/t'), event_types: ['invoice.paid'], filter: { 'payload.never': true } });
      await h.subscriptions.create({ url: receiver.url('/other') });
      const before = received('/other').length;
      const attempt = await h.subscriptions.sendTest(sub.subscription_id);
      expect(attempt).toMatchObject({ subscription_id: sub.subscription_id, event_type: 'webhook.test', status: 'delivered', status_code: 200, attempt_number: 1, next_retry_at: null, error_message: null });
      expect(attempt.duration_ms).toBeGreaterThanOrEqual(0);
      const [req] = received('/t');
      const body = new Webhook(sub.secret).verify(req.body, req.headers as Record<string, string>) as { event_type: string; payload: { subscription_id: string } };
      expect(body).toMatchObject({ event_type: 'webhook.test', payload: { subscription_id: sub.subscription_id } });
      expect(req.headers['webhook-event-type']).toBe('webhook.test');
      expect(await h.store.getAttempts({ subscription_id: sub.subscription_id })).toEqual([attempt]);
      expect(received('/other').length).toBe(before);
    });

    it('reports a failure without retrying it, times out within the endpoint\'s timeout, and reaches an inactive subscription', async () => {
      h = await start(kind, { retry_base_delay: 0.02 });
      receiver.on('/fails', ok(503, 'maintenance')).on('/hangs', hang());
      const failing = await h.subscriptions.create({ url: receiver.url('/fails') });
      await h.subscriptions.deactivate(failing.subscription_id);
      const attempt = await h.subscriptions.sendTest(failing.subscription_id);
      expect(attempt).toMatchObject({ status: 'failed', status_code: 503, error_message: 'HTTP 503: maintenance', next_retry_at: null });
      await sleep(300);
      expect(received('/fails')).toHaveLength(1);
      const hanging = await h.subscriptions.create({ url: receiver.url('/hangs'), delivery_timeout_seconds: 0.4 });
      const started = Date.now();
      expect(await h.subscriptions.sendTest(hanging.subscription_id)).toMatchObject({ status: 'failed', status_code: null, error_message: 'timeout after 0.4s' });
      expect(Date.now() - started).toBeLessThan(2000);
      await expect(h.subscriptions.sendTest('no-such-id')).rejects.toBeInstanceOf(SubscriptionNotFoundError);
    });
  });
}

describe('per-subscription controls (memory store)', () => suite('memory'));
describeIfDatabase('sqlite', 'per-subscription controls (TypeORM on SQLite)', () => suite('sqlite'));
describeIfDatabase('postgres', 'per-subscription controls (TypeORM on PostgreSQL)', () => suite('postgres'));
