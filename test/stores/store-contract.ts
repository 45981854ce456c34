import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { DeliveryQueue, NewDelivery, SubscriptionListQuery, WebhookDeliveryStore, WebhookSubscriptionStore } from '../../lib/domain/stores';
import type { DeliveryAttempt, DeliveryStatus, DeliveryTransition, StoredEvent, WebhookSubscription } from '../../lib/domain/types';
import { InvalidSubscriptionError } from '../../lib/domain/webhook.error';
import { generateEd25519KeyPair } from '../../lib/signing/ed25519';
import { emissionIntervalUs } from '../../lib/domain/rate-limit';
import { describeObservabilityContract } from './observability-contract';

/** What a backend hands the contract. */
export interface StoreHarness {
  subscriptions: WebhookSubscriptionStore;
  deliveries: WebhookDeliveryStore;
  /**
   * Another delivery store over the same data through its own connection(s), for the concurrency tests;
   * defaults to `deliveries` (in-process backends).
   */
  peer?: WebhookDeliveryStore;
  /** Empties every table (called before each test). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Milliseconds on purpose: every backend must keep them. */
const T0 = new Date('2031-05-06T07:08:09.123Z');
const at = (ms: number) => new Date(T0.getTime() + ms);
const LEASE = 30_000;

let seq = 0;
const uid = (prefix: string) => `${prefix}-${(++seq).toString().padStart(6, '0')}`;

/** The per-subscription controls of a subscription that has none, as every store reads them back. */
const NO_CONTROLS = Object.freeze({ headers: {}, filter: null, retry_max_attempts: null, delivery_timeout_seconds: null, max_concurrent_per_endpoint: null, rate_limit_per_second: null, ordered: false });

function makeSub(overrides: Partial<WebhookSubscription> = {}): WebhookSubscription {
  const n = ++seq;
  return {
    subscription_id: uid('sub'),
    url: `https://hooks.example.com/${n}`,
    secret: `whsec_${Buffer.from(`secret-${n}`).toString('base64')}`,
    signature_type: 'hmac-sha256',
    event_types: null,
    active: true,
    description: null,
    tenant_id: null,
    created_at: at(n),
    metadata: {},
    previous_secret: null,
    previous_secret_expires_at: null,
    disabled_reason: null,
    ...NO_CONTROLS,
    headers: {},
    ...overrides,
  };
}

function makeEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  const id = overrides.event_id ?? uid('evt');
  return {
    event_id: id,
    event_type: 'invoice.paid',
    body: JSON.stringify({ type: 'invoice.paid', data: { id, amount: 4200, note: 'quote " backslash \\ ünïcødé ✓ 🚀' } }),
    occurred_at: at(-1000),
    source: 'billing',
    created_at: T0,
    traceparent: null,
    ...overrides,
  };
}

function makeAttempt(overrides: Partial<DeliveryAttempt> = {}): DeliveryAttempt {
  return {
    attempt_id: uid('att'),
    subscription_id: 'sub-x',
    event_id: 'evt-x',
    event_type: 'invoice.paid',
    status: 'failed',
    status_code: 500,
    attempt_number: 1,
    attempted_at: T0,
    next_retry_at: null,
    error_message: null,
    duration_ms: 12,
    ...overrides,
  };
}

/** One event through the batch `enqueue`: whether it was new. */
async function enqueueOne(queue: DeliveryQueue, event: StoredEvent, deliveries: NewDelivery[]): Promise<boolean> {
  return (await queue.enqueue([{ event, deliveries }]))[0];
}

/** One attempt through the batch `complete`: whether its state change applied. */
async function completeOne(queue: DeliveryQueue, deliveryId: string, workerId: string, attempt: DeliveryAttempt, next: DeliveryTransition): Promise<boolean> {
  return (await queue.complete([{ delivery_id: deliveryId, worker_id: workerId, attempt, next }]))[0];
}

function deliveriesFor(subIds: string[]): NewDelivery[] {
  return subIds.map((subscription_id) => ({ delivery_id: uid('dlv'), subscription_id }));
}

/**
 * The semantics every `WebhookSubscriptionStore` / `WebhookDeliveryStore` pair keeps, run unchanged against
 * each backend. `makeStores` is called once; `reset` before every test.
 */
export function runStoreContract(name: string, makeStores: () => Promise<StoreHarness>): void {
  describe(`store contract: ${name}`, () => {
    let h: StoreHarness;
    const subs = () => h.subscriptions;
    const store = () => h.deliveries;
    const peer = () => h.peer ?? h.deliveries;

    beforeAll(async () => {
      h = await makeStores();
    });
    afterAll(async () => {
      await h?.close();
    });
    beforeEach(async () => {
      await h.reset();
    });

    /** Enqueues one event to new subscription ids; returns the event and its deliveries. */
    async function enqueued(opts: { created_at?: Date; subs?: string[]; event_type?: string } = {}) {
      const event = makeEvent({ created_at: opts.created_at ?? T0, event_type: opts.event_type ?? 'invoice.paid' });
      const ds = deliveriesFor(opts.subs ?? [uid('sub')]);
      expect(await enqueueOne(store(), event, ds)).toBe(true);
      return { event, deliveries: ds };
    }

    /** Claims then completes one delivery with the given outcome. */
    async function finish(
      d: NewDelivery,
      event: StoredEvent,
      status: 'delivered' | 'dead_letter' | 'cancelled',
      attemptedAt: Date,
      now: Date = attemptedAt,
    ): Promise<DeliveryAttempt> {
      const worker = uid('worker');
      const claimed = await store().claimDue({ worker_id: worker, limit: 1000, lease_ms: LEASE, now });
      expect(claimed.map((c) => c.delivery.delivery_id)).toContain(d.delivery_id);
      const attempt = makeAttempt({ subscription_id: d.subscription_id, event_id: event.event_id, status, attempted_at: attemptedAt, status_code: status === 'delivered' ? 200 : 500 });
      expect(await completeOne(store(), d.delivery_id, worker, attempt, { status })).toBe(true);
      // leave the other claimed rows as they were
      await store().releaseLeases(worker);
      return attempt;
    }

    describe('subscriptions', () => {
      it('creates and reads back every field, with millisecond dates', async () => {
        const sub = makeSub({
          event_types: ['invoice.paid', 'user.*'],
          description: 'Main endpoint ✓',
          tenant_id: 'tenant-a',
          created_at: new Date('2030-12-31T23:59:59.999Z'),
          metadata: { team: 'billing', nested: { n: 1, list: [true, null, 'x'] } },
          previous_secret: 'whsec_b2xk',
          previous_secret_expires_at: new Date('2031-01-01T00:00:00.001Z'),
          disabled_reason: 'auto-disabled after 50 failures',
          headers: { authorization: 'Bearer tok\tn "quoted" ünï'.replace('ünï', 'x'), 'x-tenant': 'acme' },
          filter: { 'payload.amount': { $gte: 100.5 }, $or: [{ 'payload.currency': 'EUR' }, { source: { $in: ['a', null, true, 3] } }], $not: { tenant_id: { $exists: false } } },
          retry_max_attempts: 12,
          delivery_timeout_seconds: 2.5,
          max_concurrent_per_endpoint: 3,
          rate_limit_per_second: 50,
          signature_type: 'ed25519',
          secret: generateEd25519KeyPair().secret,
        });
        expect(await subs().create(sub)).toEqual(sub);
        const got = await subs().get(sub.subscription_id);
        expect(got).toEqual(sub);
        expect(got!.created_at.getTime()).toBe(sub.created_at.getTime());
        expect(got!.previous_secret_expires_at!.getTime()).toBe(sub.previous_secret_expires_at!.getTime());
        expect(await subs().get('no-such-subscription')).toBeNull();
      });

      it('getMany reads the subscriptions of the ids that exist, active or not, each once, as get does', async () => {
        // Every column set, so that each is read back as the driver hydrates it (booleans, JSON, dates, numbers).
        const on = await subs().create(
          makeSub({
            headers: { 'x-team': 'blue' },
            filter: { 'payload.amount': { $gte: 100 } },
            event_types: ['order.*'],
            tenant_id: 'tenant-many',
            description: 'every column',
            metadata: { plan: 'pro', seats: 3 },
            previous_secret: 'whsec_cHJldmlvdXMtc2VjcmV0',
            previous_secret_expires_at: new Date(Date.UTC(2031, 4, 6, 7, 8, 9, 123)),
            retry_max_attempts: 4,
            delivery_timeout_seconds: 2.5,
            max_concurrent_per_endpoint: 3,
            rate_limit_per_second: 7,
            ordered: true,
          }),
        );
        const off = await subs().create(makeSub({ active: false }));
        await subs().create(makeSub());
        const got = await subs().getMany([off.subscription_id, 'no-such-subscription', on.subscription_id, on.subscription_id]);
        const byId = (list: Array<{ subscription_id: string }>) => [...list].sort((a, b) => a.subscription_id.localeCompare(b.subscription_id));
        expect(byId(got)).toEqual(byId([(await subs().get(on.subscription_id))!, (await subs().get(off.subscription_id))!]));
        expect(got.find((s) => s.subscription_id === on.subscription_id)).toEqual(on);
        expect(got.find((s) => s.subscription_id === off.subscription_id)!.active).toBe(false);
        expect(await subs().getMany([])).toEqual([]);
      });

      it('reads back null event_types, empty metadata and absent optional fields as null', async () => {
        const { previous_secret: _a, previous_secret_expires_at: _b, disabled_reason: _c, headers: _d, filter: _e, retry_max_attempts: _f, delivery_timeout_seconds: _g, max_concurrent_per_endpoint: _h, rate_limit_per_second: _i, signature_type: _j, ...bare } = makeSub();
        await subs().create(bare);
        expect(await subs().get(bare.subscription_id)).toEqual({ ...bare, previous_secret: null, previous_secret_expires_at: null, disabled_reason: null, ...NO_CONTROLS, signature_type: 'hmac-sha256' });
      });

      it('refuses a second subscription with the same id', async () => {
        const sub = makeSub();
        await subs().create(sub);
        await expect(subs().create({ ...sub, url: 'https://other.example.com/' })).rejects.toBeInstanceOf(InvalidSubscriptionError);
        expect((await subs().get(sub.subscription_id))!.url).toBe(sub.url);
      });

      it('lists active subscriptions by default; active_only: false lists all; active picks one state', async () => {
        const on = await subs().create(makeSub());
        const off = await subs().create(makeSub({ active: false }));
        expect(await subs().list()).toEqual([on]);
        expect(await subs().list({ active_only: true })).toEqual([on]);
        expect(await subs().list({ active_only: false })).toEqual([on, off]);
        expect(await subs().list({ active: false })).toEqual([off]);
        expect(await subs().list({ active: false, active_only: true })).toEqual([off]);
        expect(await subs().list({ active: true, active_only: false })).toEqual([on]);
      });

      it('filters by event type: null, exact names and wildcards', async () => {
        const all = await subs().create(makeSub({ event_types: null }));
        const exact = await subs().create(makeSub({ event_types: ['invoice.paid'] }));
        const other = await subs().create(makeSub({ event_types: ['invoice.created', 'user.created'] }));
        const prefix = await subs().create(makeSub({ event_types: ['user.*'] }));
        const star = await subs().create(makeSub({ event_types: ['*'] }));
        const none = await subs().create(makeSub({ event_types: [] }));
        const under = await subs().create(makeSub({ event_types: ['order_shipped'] }));
        await subs().create(makeSub({ event_types: ['invoice.paid'], active: false }));
        const ids = async (event_type: string) => (await subs().list({ event_type })).map((s) => s.subscription_id);

        expect(await ids('invoice.paid')).toEqual([all, exact, star].map((s) => s.subscription_id));
        expect(await ids('user.created')).toEqual([all, other, prefix, star].map((s) => s.subscription_id));
        expect(await ids('user.email.changed')).toEqual([all, prefix, star].map((s) => s.subscription_id));
        // `_` is an event-type character, not a wildcard
        expect(await ids('orderXshipped')).toEqual([all, star].map((s) => s.subscription_id));
        expect(await ids('order_shipped')).toEqual([all, star, under].map((s) => s.subscription_id));
        // exact names are case-sensitive
        expect(await ids('INVOICE.PAID')).toEqual([all, star].map((s) => s.subscription_id));
        expect(await ids('invoice')).toEqual([all, star].map((s) => s.subscription_id));
        expect(none.event_types).toEqual([]);
      });

      it('filters by tenant and counts', async () => {
        const a1 = await subs().create(makeSub({ tenant_id: 'a' }));
        const a2 = await subs().create(makeSub({ tenant_id: 'a', active: false }));
        const b1 = await subs().create(makeSub({ tenant_id: 'b' }));
        await subs().create(makeSub());
        expect(await subs().list({ tenant_id: 'a' })).toEqual([a1]);
        expect(await subs().list({ tenant_id: 'a', active_only: false })).toEqual([a1, a2]);
        expect(await subs().list({ tenant_id: 'b', event_type: 'x.y' })).toEqual([b1]);
        expect(await subs().count()).toBe(4);
        expect(await subs().count({ active: true })).toBe(3);
        expect(await subs().count({ active: false })).toBe(1);
        expect(await subs().count({ tenant_id: 'a' })).toBe(2);
        expect(await subs().count({ tenant_id: 'a', active: true })).toBe(1);
        expect(await subs().count({ tenant_id: 'nobody' })).toBe(0);
      });

      it('lists oldest first, then by id, and pages stably (also when filtering by event type)', async () => {
        const created: WebhookSubscription[] = [];
        // same created_at for pairs, inserted out of order, to exercise the id tie-break
        for (let i = 0; i < 24; i++) {
          created.push(
            makeSub({
              subscription_id: `page-${String(23 - i).padStart(2, '0')}`,
              created_at: at(Math.floor(i / 2) * 10),
              event_types: i % 3 === 0 ? ['other.thing'] : i % 3 === 1 ? ['page.*'] : null,
            }),
          );
        }
        for (const s of [...created].reverse()) await subs().create(s);
        const expected = [...created].sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || (a.subscription_id < b.subscription_id ? -1 : 1));
        expect(await subs().list()).toEqual(expected);

        const paged: WebhookSubscription[] = [];
        for (let offset = 0; offset < 30; offset += 5) paged.push(...(await subs().list({ limit: 5, offset })));
        expect(paged).toEqual(expected);

        const matching = expected.filter((s) => s.event_types === null || s.event_types.includes('page.*'));
        expect(matching).toHaveLength(16);
        const pagedMatching: WebhookSubscription[] = [];
        for (let offset = 0; offset < 20; offset += 3) pagedMatching.push(...(await subs().list({ event_type: 'page.viewed', limit: 3, offset })));
        expect(pagedMatching).toEqual(matching);
        expect(await subs().list({ event_type: 'page.viewed', limit: 4, offset: 14 })).toEqual(matching.slice(14));
        expect(await subs().list({ limit: 0 })).toEqual([]);
        expect(await subs().list({ offset: 100 })).toEqual([]);
      });

      it('pages by keyset: each page starts after the last subscription of the previous one, also filtered', async () => {
        const created: WebhookSubscription[] = [];
        for (let i = 0; i < 30; i++) {
          created.push(makeSub({ subscription_id: `key-${String(29 - i).padStart(2, '0')}`, created_at: at(Math.floor(i / 3)), tenant_id: i % 2 ? 'odd' : 'even', event_types: i % 4 === 0 ? ['x.y'] : null }));
        }
        for (const s of created) await subs().create(s);
        const expected = [...created].sort((a, b) => a.created_at.getTime() - b.created_at.getTime() || (a.subscription_id < b.subscription_id ? -1 : 1));
        const follow = async (query: SubscriptionListQuery, size: number) => {
          const out: WebhookSubscription[] = [];
          for (let page = await subs().list({ ...query, limit: size }); page.length > 0; ) {
            out.push(...page);
            const last = page[page.length - 1];
            page = await subs().list({ ...query, limit: size, after: { created_at: last.created_at, subscription_id: last.subscription_id } });
          }
          return out;
        };
        expect(await follow({}, 7)).toEqual(expected);
        expect(await follow({ tenant_id: 'odd' }, 4)).toEqual(expected.filter((s) => s.tenant_id === 'odd'));
        expect(await follow({ event_type: 'a.b' }, 5)).toEqual(expected.filter((s) => s.event_types === null));
        expect(await subs().list({ after: { created_at: expected[29].created_at, subscription_id: expected[29].subscription_id } })).toEqual([]);
      });

      it('createMany creates all or nothing', async () => {
        const [a, b] = [makeSub(), makeSub()];
        expect(await subs().createMany([a, b])).toEqual([a, b]);
        expect(await subs().get(b.subscription_id)).toEqual(b);
        const c = makeSub();
        await expect(subs().createMany([c, a])).rejects.toBeInstanceOf(InvalidSubscriptionError);
        const d = makeSub();
        await expect(subs().createMany([d, d])).rejects.toBeInstanceOf(InvalidSubscriptionError);
        expect(await subs().get(c.subscription_id)).toBeNull();
        expect(await subs().get(d.subscription_id)).toBeNull();
        expect(await subs().createMany([])).toEqual([]);
        expect(await subs().count()).toBe(2);
      });

      it('matches an event to the active subscriptions receiving it, by tenant when it has one', async () => {
        const mk = (tenant_id: string | null, event_types: string[] | null, active = true) => makeSub({ tenant_id, event_types, active });
        const all = [
          mk(null, null),
          mk(null, ['order.paid']),
          mk('t1', ['order.*']),
          mk('t1', ['order.paid', 'user.*']),
          mk('t1', ['user.created']),
          mk('t1', ['order.paid'], false),
          mk('t2', null),
          mk('t2', ['*']),
          mk('T1', ['order.paid']),
        ];
        for (const s of all) await subs().create(s);
        const ids = async (event_type: string, tenant_id: string | null) => (await subs().match({ event_type, tenant_id })).map((s) => s.subscription_id).sort();
        const expectIds = (...i: number[]) => i.map((n) => all[n].subscription_id).sort();
        expect(await ids('order.paid', 't1')).toEqual(expectIds(2, 3));
        expect(await ids('user.created', 't1')).toEqual(expectIds(3, 4));
        expect(await ids('order.paid', 't2')).toEqual(expectIds(6, 7));
        expect(await ids('order.paid', 'nobody')).toEqual([]);
        expect(await ids('order.paid', null)).toEqual(expectIds(0, 1, 2, 3, 6, 7, 8));
        expect(await ids('invoice.sent', null)).toEqual(expectIds(0, 6, 7));
        const [first] = await subs().match({ event_type: 'order.paid', tenant_id: 'T1' });
        expect(first).toEqual(all[8]);
      });

      it('scans active index entries by id and looks them up', async () => {
        const controls = { filter: { 'payload.amount': { $gt: 5 } }, max_concurrent_per_endpoint: 3, rate_limit_per_second: 7 };
        const active = [makeSub({ subscription_id: 'scan-c', tenant_id: 't', event_types: ['a.*'], ...controls }), makeSub({ subscription_id: 'scan-a' }), makeSub({ subscription_id: 'scan-b' })];
        for (const s of [...active, makeSub({ subscription_id: 'scan-0', active: false })]) await subs().create(s);
        // What matching and the hand-off read: the controls are null when not set.
        const entry = (s: WebhookSubscription) => ({
          subscription_id: s.subscription_id,
          tenant_id: s.tenant_id,
          event_types: s.event_types,
          filter: s.filter ?? null,
          max_concurrent_per_endpoint: s.max_concurrent_per_endpoint ?? null,
          rate_limit_per_second: s.rate_limit_per_second ?? null,
          ordered: s.ordered ?? false,
        });
        expect(await subs().scanActive(null, 2)).toEqual([entry(active[1]), entry(active[2])]);
        expect(await subs().scanActive('scan-b', 2)).toEqual([entry(active[0])]);
        expect(await subs().scanActive('scan-c', 2)).toEqual([]);
        const found = await subs().activeEntries(['scan-c', 'scan-0', 'scan-missing', 'scan-a']);
        expect(found.sort((x, y) => (x.subscription_id < y.subscription_id ? -1 : 1))).toEqual([entry(active[1]), entry(active[0])]);
        expect(await subs().activeEntries([])).toEqual([]);
      });

      it('logs every write as a change, in order, to follow from any change id; old changes are purged', async () => {
        const start = await subs().lastChangeId();
        const a = await subs().create(makeSub());
        await subs().update({ ...a, active: false });
        const [b, c] = await subs().createMany([makeSub(), makeSub()]);
        await subs().delete(a.subscription_id);
        await subs().update({ ...a, url: 'https://missing.example.com/' });
        const changes = await subs().changesSince(start, 100);
        expect(changes.map((ch) => ch.subscription_id)).toEqual([a, a, b, c, a].map((s) => s.subscription_id));
        const ids = changes.map((ch) => ch.change_id);
        expect([...ids].sort((x, y) => x - y)).toEqual(ids);
        expect(new Set(ids).size).toBe(ids.length);
        expect(await subs().lastChangeId()).toBe(ids[ids.length - 1]);
        expect(await subs().changesSince(ids[1], 2)).toEqual(changes.slice(2, 4));
        expect(await subs().changesSince(ids[4], 10)).toEqual([]);
        expect(await subs().purgeChanges(new Date(Date.now() - 3_600_000))).toBe(0);
        expect(await subs().purgeChanges(new Date(Date.now() + 3_600_000))).toBeGreaterThanOrEqual(5);
        expect(await subs().changesSince(0, 100)).toEqual([]);
      });

      it('returns at most 100 by default', async () => {
        for (let i = 0; i < 105; i++) await subs().create(makeSub());
        expect(await subs().list()).toHaveLength(100);
        expect(await subs().list({ offset: 100 })).toHaveLength(5);
        expect(await subs().list({ event_type: 'a.b' })).toHaveLength(100);
      });

      it('updates and deletes', async () => {
        const sub = await subs().create(makeSub({ event_types: ['a.b'] }));
        const changed: WebhookSubscription = {
          ...sub,
          url: 'https://new.example.com/hook',
          event_types: null,
          active: false,
          description: 'changed',
          tenant_id: 't',
          metadata: { k: 'v' },
          previous_secret: sub.secret,
          previous_secret_expires_at: at(86_400_000),
          secret: generateEd25519KeyPair().secret,
          signature_type: 'ed25519',
          disabled_reason: 'manual',
          headers: { 'x-api-key': 'k1' },
          filter: { event_type: 'a.b' },
          retry_max_attempts: 1,
          delivery_timeout_seconds: 0.25,
          max_concurrent_per_endpoint: 64,
          rate_limit_per_second: 1,
        };
        expect(await subs().update(changed)).toEqual(changed);
        expect(await subs().get(sub.subscription_id)).toEqual(changed);
        // the same values again still count as an update of an existing row
        expect(await subs().update(changed)).toEqual(changed);
        const cleared = { ...changed, ...NO_CONTROLS };
        expect(await subs().update(cleared)).toEqual(cleared);
        expect(await subs().get(sub.subscription_id)).toEqual(cleared);
        expect(await subs().update(changed)).toEqual(changed);
        expect(await subs().update({ ...changed, subscription_id: 'missing' })).toBeNull();
        expect(await subs().get('missing')).toBeNull();
        expect(await subs().delete(sub.subscription_id)).toBe(true);
        expect(await subs().delete(sub.subscription_id)).toBe(false);
        expect(await subs().get(sub.subscription_id)).toBeNull();
        expect(await subs().count()).toBe(0);
      });
    });

    describe('attempt log', () => {
      it('records and reads back an attempt', async () => {
        const a = makeAttempt({
          status: 'failed',
          status_code: 503,
          attempt_number: 3,
          attempted_at: new Date('2031-02-03T04:05:06.789Z'),
          next_retry_at: new Date('2031-02-03T04:05:10.001Z'),
          error_message: 'HTTP 503: Service Unavailable ✗',
          duration_ms: 1234,
        });
        await store().recordAttempt(a);
        expect(await store().getAttempt(a.attempt_id)).toEqual(a);
        const timeout = makeAttempt({ status_code: null, error_message: 'timeout', duration_ms: 30_000 });
        await store().recordAttempt(timeout);
        expect(await store().getAttempt(timeout.attempt_id)).toEqual(timeout);
        expect(await store().getAttempt('missing')).toBeNull();
      });

      it('lists attempts newest first, filtered and paged', async () => {
        const rows: DeliveryAttempt[] = [];
        const statuses: DeliveryStatus[] = ['failed', 'delivered', 'dead_letter'];
        for (let i = 0; i < 12; i++) {
          rows.push(
            makeAttempt({
              subscription_id: i % 2 ? 'sub-odd' : 'sub-even',
              event_id: `evt-${i % 3}`,
              status: statuses[i % 3],
              attempted_at: at(i * 7),
              attempt_number: (i % 4) + 1,
            }),
          );
        }
        // same time as rows[11]: ties break on attempt_number, highest first
        const tie = makeAttempt({ subscription_id: 'sub-odd', event_id: 'evt-2', status: 'failed', attempted_at: at(11 * 7), attempt_number: 9 });
        rows.push(tie);
        for (const r of [...rows].sort(() => 0.5 - Math.random())) await store().recordAttempt(r);

        const newest = [...rows].sort((a, b) => b.attempted_at.getTime() - a.attempted_at.getTime() || b.attempt_number - a.attempt_number);
        expect(await store().getAttempts()).toEqual(newest);
        expect((await store().getAttempts())[0]).toEqual(tie);
        expect(await store().getAttempts({ subscription_id: 'sub-odd' })).toEqual(newest.filter((a) => a.subscription_id === 'sub-odd'));
        expect(await store().getAttempts({ event_id: 'evt-1' })).toEqual(newest.filter((a) => a.event_id === 'evt-1'));
        expect(await store().getAttempts({ status: 'delivered' })).toEqual(newest.filter((a) => a.status === 'delivered'));
        expect(await store().getAttempts({ subscription_id: 'sub-even', status: 'failed', event_id: 'evt-0' })).toEqual(
          newest.filter((a) => a.subscription_id === 'sub-even' && a.status === 'failed' && a.event_id === 'evt-0'),
        );
        expect(await store().getAttempts({ limit: 4, offset: 2 })).toEqual(newest.slice(2, 6));
        // Keyset: a page starts after the last attempt of the previous one.
        const cursor = (a: DeliveryAttempt) => ({ attempted_at: a.attempted_at, attempt_number: a.attempt_number, attempt_id: a.attempt_id });
        expect(await store().getAttempts({ limit: 4, before: cursor(newest[3]) })).toEqual(newest.slice(4, 8));
        expect(await store().getAttempts({ subscription_id: 'sub-odd', before: cursor(tie) })).toEqual(newest.filter((a) => a.subscription_id === 'sub-odd').slice(1));
        expect(await store().getAttempts({ before: cursor(newest[newest.length - 1]) })).toEqual([]);
        expect(await store().getAttempts({ limit: 0 })).toEqual([]);
        expect(await store().getAttempts({ subscription_id: 'nobody' })).toEqual([]);
      });
    });

    describe('enqueue', () => {
      it('stores the event and one pending delivery per subscription, due at created_at', async () => {
        const event = makeEvent({ created_at: at(5) });
        const ds = deliveriesFor(['s1', 's2', 's3']);
        expect(await enqueueOne(store(), event, ds)).toBe(true);
        expect(await store().getEvent(event.event_id)).toEqual(event);
        for (const d of ds) {
          expect(await store().getDelivery(event.event_id, d.subscription_id)).toEqual({
            delivery_id: d.delivery_id,
            event_id: event.event_id,
            subscription_id: d.subscription_id,
            event_type: event.event_type,
            status: 'pending',
            lane: null,
            attempts: 0,
            next_attempt_at: at(5),
            locked_until: null,
            locked_by: null,
            last_attempt_id: null,
            created_at: at(5),
            updated_at: at(5),
          });
        }
        expect(await store().getDelivery(event.event_id, 's4')).toBeNull();
        expect(await store().getEvent('missing')).toBeNull();
      });

      it('keeps a large body (300 KiB, any characters) byte for byte', async () => {
        const chunk = '{"k":"ünïcødé ✓ 🚀 \\" \\\\ \\u0000 \\n"},';
        const body = `[${chunk.repeat(Math.ceil((300 * 1024) / chunk.length))}null]`;
        expect(Buffer.byteLength(body)).toBeGreaterThan(300 * 1024);
        const event = makeEvent({ body, source: null });
        expect(await enqueueOne(store(), event, deliveriesFor(['s1']))).toBe(true);
        const got = await store().getEvent(event.event_id);
        expect(got!.body === body).toBe(true);
        expect(got).toEqual(event);
        const [claimed] = await store().claimDue({ worker_id: 'w', limit: 1, lease_ms: LEASE, now: T0 });
        expect(claimed.event.body === body).toBe(true);
      });

      it('accepts an event with no deliveries', async () => {
        const event = makeEvent();
        expect(await enqueueOne(store(), event, [])).toBe(true);
        expect(await store().getEvent(event.event_id)).toEqual(event);
        expect(await enqueueOne(store(), event, deliveriesFor(['s1']))).toBe(false);
      });

      it('is idempotent: a second enqueue of the same event id returns false and writes nothing', async () => {
        const event = makeEvent();
        const first = deliveriesFor(['s1', 's2']);
        expect(await enqueueOne(store(), event, first)).toBe(true);
        const again = makeEvent({ event_id: event.event_id, body: '{"changed":true}', created_at: at(99) });
        expect(await enqueueOne(store(), again, deliveriesFor(['s2', 's3']))).toBe(false);
        expect(await store().getEvent(event.event_id)).toEqual(event);
        expect((await store().getDelivery(event.event_id, 's2'))!.delivery_id).toBe(first[1].delivery_id);
        expect(await store().getDelivery(event.event_id, 's3')).toBeNull();
        const claimed = await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: at(1000) });
        expect(claimed.map((c) => c.delivery.delivery_id).sort()).toEqual(first.map((d) => d.delivery_id).sort());
      });

      it('lets exactly one of two concurrent enqueues of the same event id win', async () => {
        for (let round = 0; round < 5; round++) {
          const event = makeEvent();
          const a = deliveriesFor(Array.from({ length: 20 }, (_, i) => `a${i}`));
          const b = deliveriesFor(Array.from({ length: 20 }, (_, i) => `b${i}`));
          const results = await Promise.all([enqueueOne(store(), event, a), enqueueOne(peer(), { ...event, body: '{"b":1}' }, b)]);
          expect([...results].sort()).toEqual([false, true]);
          const winner = results[0] ? a : b;
          const loser = results[0] ? b : a;
          expect((await store().getEvent(event.event_id))!.body).toBe(results[0] ? event.body : '{"b":1}');
          for (const d of winner) expect(await store().getDelivery(event.event_id, d.subscription_id)).not.toBeNull();
          for (const d of loser) expect(await store().getDelivery(event.event_id, d.subscription_id)).toBeNull();
        }
      });

      it('fans one event out to 10,000 subscriptions in one go', async () => {
        const event = makeEvent();
        const ds = deliveriesFor(Array.from({ length: 10_000 }, (_, i) => `fan-${i}`));
        const started = performance.now();
        expect(await enqueueOne(store(), event, ds)).toBe(true);
        const ms = performance.now() - started;
        // generous bound for shared CI machines; measured times are far lower
        expect(ms).toBeLessThan(5000);
        expect(await store().getDelivery(event.event_id, 'fan-0')).not.toBeNull();
        expect(await store().getDelivery(event.event_id, 'fan-9999')).toMatchObject({ subscription_id: 'fan-9999', event_id: event.event_id });
        expect(await store().getDelivery(event.event_id, 'fan-10000')).toBeNull();
        let claimed = 0;
        for (;;) {
          const batch = await store().claimDue({ worker_id: 'w', limit: 1000, lease_ms: LEASE, now: T0 });
          if (batch.length === 0) break;
          claimed += batch.length;
        }
        expect(claimed).toBe(10_000);
      });
    });

    describe('claimDue', () => {
      it('claims only deliveries that are due', async () => {
        const { deliveries: ds } = await enqueued({ created_at: at(100) });
        expect(await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: at(99) })).toEqual([]);
        const claimed = await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: at(100) });
        expect(claimed.map((c) => c.delivery.delivery_id)).toEqual([ds[0].delivery_id]);
      });

      it('claims the oldest due first, up to the limit, with the lease and the event', async () => {
        const late = await enqueued({ created_at: at(30) });
        const early = await enqueued({ created_at: at(10) });
        const middle = await enqueued({ created_at: at(20) });
        const now = at(1000);
        const claimed = await store().claimDue({ worker_id: 'worker-1', limit: 2, lease_ms: LEASE, now });
        expect(claimed.map((c) => c.delivery.delivery_id)).toEqual([early.deliveries[0].delivery_id, middle.deliveries[0].delivery_id]);
        expect(claimed[0].event).toEqual(early.event);
        expect(claimed[1].event).toEqual(middle.event);
        expect(claimed[0].delivery).toMatchObject({
          status: 'pending',
          attempts: 0,
          next_attempt_at: at(10),
          locked_by: 'worker-1',
          locked_until: new Date(now.getTime() + LEASE),
        });
        expect(await store().getDelivery(early.event.event_id, early.deliveries[0].subscription_id)).toMatchObject({
          locked_by: 'worker-1',
          locked_until: new Date(now.getTime() + LEASE),
        });
        const rest = await store().claimDue({ worker_id: 'worker-2', limit: 5, lease_ms: LEASE, now });
        expect(rest.map((c) => c.delivery.delivery_id)).toEqual([late.deliveries[0].delivery_id]);
        expect(await store().claimDue({ worker_id: 'worker-3', limit: 5, lease_ms: LEASE, now })).toEqual([]);
        expect(await store().claimDue({ worker_id: 'worker-3', limit: 0, lease_ms: LEASE, now })).toEqual([]);
      });

      it('reclaims a delivery once its lease has expired; the old holder can no longer complete it', async () => {
        const { event, deliveries: ds } = await enqueued();
        const [first] = await store().claimDue({ worker_id: 'a', limit: 1, lease_ms: 1000, now: T0 });
        expect(first.delivery.delivery_id).toBe(ds[0].delivery_id);
        expect(await store().claimDue({ worker_id: 'b', limit: 1, lease_ms: 1000, now: at(999) })).toEqual([]);
        const [second] = await store().claimDue({ worker_id: 'b', limit: 1, lease_ms: 1000, now: at(1000) });
        expect(second.delivery).toMatchObject({ delivery_id: ds[0].delivery_id, locked_by: 'b', locked_until: at(2000) });

        const stale = makeAttempt({ subscription_id: ds[0].subscription_id, event_id: event.event_id, status: 'delivered', attempted_at: at(1500) });
        expect(await completeOne(store(), ds[0].delivery_id, 'a', stale, { status: 'delivered' })).toBe(false);
        expect(await store().getAttempt(stale.attempt_id)).toEqual(stale);
        expect(await store().getDelivery(event.event_id, ds[0].subscription_id)).toMatchObject({ status: 'pending', locked_by: 'b', attempts: 0 });

        const fresh = makeAttempt({ subscription_id: ds[0].subscription_id, event_id: event.event_id, status: 'delivered', attempted_at: at(1600) });
        expect(await completeOne(store(), ds[0].delivery_id, 'b', fresh, { status: 'delivered' })).toBe(true);
      });

      it('skips excluded subscriptions and claims them later', async () => {
        const { deliveries: ds } = await enqueued({ subs: ['busy', 'free-1', 'free-2'] });
        const first = await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: T0, exclude_subscription_ids: ['busy', 'unknown'] });
        expect(first.map((c) => c.delivery.subscription_id).sort()).toEqual(['free-1', 'free-2']);
        const later = await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: T0, exclude_subscription_ids: [] });
        expect(later.map((c) => c.delivery.delivery_id)).toEqual([ds[0].delivery_id]);
      });

      it('never claims delivered, dead-lettered or cancelled deliveries', async () => {
        const { event, deliveries: ds } = await enqueued({ subs: ['d', 'x', 'c'] });
        await finish(ds[0], event, 'delivered', at(1));
        await finish(ds[1], event, 'dead_letter', at(2));
        await finish(ds[2], event, 'cancelled', at(3));
        expect(await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: at(10_000_000) })).toEqual([]);
      });

      it('gives concurrent claimers disjoint deliveries', async () => {
        const all: string[] = [];
        for (let i = 0; i < 6; i++) {
          const { deliveries: ds } = await enqueued({ created_at: at(i), subs: Array.from({ length: 20 }, (_, j) => `c${i}-${j}`) });
          all.push(...ds.map((d) => d.delivery_id));
        }
        const seen: string[] = [];
        const claimer = async (n: number) => {
          const s = n % 2 ? peer() : store();
          for (;;) {
            const batch = await s.claimDue({ worker_id: `w${n}`, limit: 7, lease_ms: LEASE, now: at(50) });
            if (batch.length === 0) return;
            for (const c of batch) {
              expect(c.delivery.locked_by).toBe(`w${n}`);
              seen.push(c.delivery.delivery_id);
            }
          }
        };
        await Promise.all([0, 1, 2, 3, 4, 5].map(claimer));
        expect(seen).toHaveLength(all.length);
        expect(new Set(seen).size).toBe(all.length);
        expect([...seen].sort()).toEqual([...all].sort());
      });
    });

    describe('complete', () => {
      it('marks a delivery delivered, logs the attempt and releases the lease', async () => {
        const { event, deliveries: ds } = await enqueued();
        await store().claimDue({ worker_id: 'w', limit: 1, lease_ms: LEASE, now: T0 });
        const attempt = makeAttempt({ subscription_id: ds[0].subscription_id, event_id: event.event_id, status: 'delivered', status_code: 204, attempted_at: at(250) });
        expect(await completeOne(store(), ds[0].delivery_id, 'w', attempt, { status: 'delivered' })).toBe(true);
        expect(await store().getAttempt(attempt.attempt_id)).toEqual(attempt);
        expect(await store().getDelivery(event.event_id, ds[0].subscription_id)).toEqual({
          delivery_id: ds[0].delivery_id,
          event_id: event.event_id,
          subscription_id: ds[0].subscription_id,
          event_type: event.event_type,
          status: 'delivered',
          lane: null,
          attempts: 1,
          next_attempt_at: T0,
          locked_until: null,
          locked_by: null,
          last_attempt_id: attempt.attempt_id,
          created_at: T0,
          updated_at: at(250),
        });
        expect(await store().claimDue({ worker_id: 'w', limit: 1, lease_ms: LEASE, now: at(10_000_000) })).toEqual([]);
      });

      it('schedules a retry: pending again, due at the next time', async () => {
        const { event, deliveries: ds } = await enqueued();
        await store().claimDue({ worker_id: 'w', limit: 1, lease_ms: LEASE, now: T0 });
        const retryAt = at(2_001);
        const attempt = makeAttempt({ subscription_id: ds[0].subscription_id, event_id: event.event_id, status: 'failed', attempted_at: at(1), next_retry_at: retryAt });
        expect(await completeOne(store(), ds[0].delivery_id, 'w', attempt, { status: 'pending', next_attempt_at: retryAt })).toBe(true);
        expect(await store().getDelivery(event.event_id, ds[0].subscription_id)).toMatchObject({
          status: 'pending',
          attempts: 1,
          next_attempt_at: retryAt,
          locked_by: null,
          locked_until: null,
          last_attempt_id: attempt.attempt_id,
        });
        expect(await store().claimDue({ worker_id: 'w', limit: 1, lease_ms: LEASE, now: at(2_000) })).toEqual([]);
        const [again] = await store().claimDue({ worker_id: 'w2', limit: 1, lease_ms: LEASE, now: retryAt });
        expect(again.delivery).toMatchObject({ delivery_id: ds[0].delivery_id, attempts: 1, locked_by: 'w2' });
        const second = makeAttempt({ subscription_id: ds[0].subscription_id, event_id: event.event_id, status: 'delivered', attempt_number: 2, attempted_at: at(2_100) });
        expect(await completeOne(store(), ds[0].delivery_id, 'w2', second, { status: 'delivered' })).toBe(true);
        expect(await store().getDelivery(event.event_id, ds[0].subscription_id)).toMatchObject({ status: 'delivered', attempts: 2, last_attempt_id: second.attempt_id });
      });

      it('dead-letters: the last attempt shows in getDeadLetters and countDeadLetters', async () => {
        const one = await enqueued({ subs: ['s-a', 's-b'] });
        const two = await enqueued({ subs: ['s-a'] });
        const a1 = await finish(one.deliveries[0], one.event, 'dead_letter', at(10));
        const b1 = await finish(one.deliveries[1], one.event, 'dead_letter', at(30));
        const a2 = await finish(two.deliveries[0], two.event, 'dead_letter', at(20));
        // an older failed attempt of the same delivery is not a dead letter
        await store().recordAttempt(makeAttempt({ subscription_id: 's-a', event_id: one.event.event_id, status: 'failed', attempted_at: at(5) }));
        expect(await store().getDeadLetters()).toEqual([b1, a2, a1]);
        expect(await store().getDeadLetters({ subscription_id: 's-a' })).toEqual([a2, a1]);
        expect(await store().getDeadLetters({ limit: 1, offset: 1 })).toEqual([a2]);
        expect(await store().getDeadLetters({ subscription_id: 'nobody' })).toEqual([]);
        expect(await store().countDeadLetters()).toBe(3);
        expect(await store().countDeadLetters({ subscription_id: 's-a' })).toBe(2);
        expect(await store().countDeadLetters({ subscription_id: 's-b' })).toBe(1);
        expect(await store().getDelivery(one.event.event_id, 's-a')).toMatchObject({ status: 'dead_letter', last_attempt_id: a1.attempt_id, locked_by: null });
      });

      it('cancels', async () => {
        const { event, deliveries: ds } = await enqueued();
        await finish(ds[0], event, 'cancelled', at(1));
        expect(await store().getDelivery(event.event_id, ds[0].subscription_id)).toMatchObject({ status: 'cancelled', attempts: 1, locked_by: null });
        expect(await store().countDeadLetters()).toBe(0);
      });

      it('does not apply without the lease, but still logs the attempt', async () => {
        const { event, deliveries: ds } = await enqueued();
        const attempt = makeAttempt({ subscription_id: ds[0].subscription_id, event_id: event.event_id, status: 'delivered' });
        expect(await completeOne(store(), ds[0].delivery_id, 'w', attempt, { status: 'delivered' })).toBe(false);
        expect(await store().getAttempt(attempt.attempt_id)).toEqual(attempt);
        expect(await store().getDelivery(event.event_id, ds[0].subscription_id)).toMatchObject({ status: 'pending', attempts: 0, last_attempt_id: null });
        const ghost = makeAttempt({ attempt_id: uid('ghost') });
        expect(await completeOne(store(), 'no-such-delivery', 'w', ghost, { status: 'delivered' })).toBe(false);
        expect(await store().getAttempt(ghost.attempt_id)).toEqual(ghost);
      });
    });

    describe('batches', () => {
      it('enqueue stores several events in one go; repeated ids (stored or in the batch) write nothing', async () => {
        const stored = await enqueued();
        const a = makeEvent({ created_at: at(5) });
        const b = makeEvent({ created_at: at(6) });
        const [da, db] = [deliveriesFor([uid('sub'), uid('sub')]), deliveriesFor([uid('sub')])];
        const result = await store().enqueue([
          { event: a, deliveries: da },
          { event: stored.event, deliveries: deliveriesFor([uid('sub')]) },
          { event: b, deliveries: db },
          { event: { ...a, body: '{"other":true}' }, deliveries: deliveriesFor([uid('sub')]) },
        ]);
        expect(result).toEqual([true, false, true, false]);
        expect(await store().getEvent(a.event_id)).toEqual(a);
        expect(await store().getEvent(b.event_id)).toEqual(b);
        const claimed = await store().claimDue({ worker_id: 'w', limit: 100, lease_ms: LEASE, now: at(1000) });
        expect(claimed.map((c) => c.delivery.delivery_id).sort()).toEqual([...stored.deliveries, ...da, ...db].map((d) => d.delivery_id).sort());
        expect(claimed.find((c) => c.delivery.delivery_id === da[0].delivery_id)!.delivery.next_attempt_at).toEqual(at(5));
        expect(await store().enqueue([])).toEqual([]);
      });

      it('a batch enqueue settles a race with a concurrent enqueue of the same id: exactly one wins', async () => {
        const shared = makeEvent();
        const own = makeEvent();
        const [batch, single] = await Promise.all([
          store().enqueue([
            { event: own, deliveries: deliveriesFor([uid('sub')]) },
            { event: shared, deliveries: deliveriesFor([uid('sub')]) },
          ]),
          enqueueOne(peer(), shared, deliveriesFor([uid('sub')])),
        ]);
        expect(batch[0]).toBe(true);
        expect([batch[1], single].filter(Boolean)).toHaveLength(1);
        const claimed = await store().claimDue({ worker_id: 'w', limit: 100, lease_ms: LEASE, now: at(1000) });
        expect(claimed.filter((c) => c.event.event_id === shared.event_id)).toHaveLength(1);
      });

      it('enqueue creates deliveries that carry a lease already leased: only its holder completes them, others claim them once it expires or is released', async () => {
        const event = makeEvent();
        const [leased, open, released] = deliveriesFor([uid('sub'), uid('sub'), uid('sub')]);
        leased.lease = { worker_id: 'local', until: at(1000) };
        released.lease = { worker_id: 'local', until: at(1000) };
        open.lease = null;
        expect(await store().enqueue([{ event, deliveries: [leased, open, released] }])).toEqual([true]);
        expect(await store().getDelivery(event.event_id, leased.subscription_id)).toMatchObject({ status: 'pending', attempts: 0, locked_by: 'local', locked_until: at(1000), next_attempt_at: T0 });
        expect(await store().getDelivery(event.event_id, open.subscription_id)).toMatchObject({ locked_by: null, locked_until: null });

        // Before the lease ends only the unleased one is claimable; a release hands one over at once.
        const first = await peer().claimDue({ worker_id: 'other', limit: 10, lease_ms: LEASE, now: at(999) });
        expect(first.map((c) => c.delivery.delivery_id)).toEqual([open.delivery_id]);
        expect(await store().releaseLeases('local', [released.delivery_id])).toBe(1);
        const second = await peer().claimDue({ worker_id: 'other', limit: 10, lease_ms: LEASE, now: at(999) });
        expect(second.map((c) => c.delivery.delivery_id)).toEqual([released.delivery_id]);

        // The holder completes without a claim; a duplicate event id writes no leased rows.
        const attempt = makeAttempt({ subscription_id: leased.subscription_id, event_id: event.event_id, status: 'delivered', attempted_at: at(10) });
        expect(await store().complete([{ delivery_id: leased.delivery_id, worker_id: 'local', attempt, next: { status: 'delivered' } }])).toEqual([true]);
        expect(await store().getDelivery(event.event_id, leased.subscription_id)).toMatchObject({ status: 'delivered', locked_by: null, last_attempt_id: attempt.attempt_id });
        const again = { delivery_id: uid('dlv'), subscription_id: uid('sub'), lease: { worker_id: 'local', until: at(1000) } };
        expect(await store().enqueue([{ event, deliveries: [again] }])).toEqual([false]);
        expect(await store().getDelivery(event.event_id, again.subscription_id)).toBeNull();
      });

      it('a leased delivery whose holder died is claimed by another worker after the lease, and the dead holder can no longer complete it', async () => {
        const event = makeEvent();
        const [d] = deliveriesFor([uid('sub')]);
        d.lease = { worker_id: 'crashed', until: at(500) };
        await store().enqueue([{ event, deliveries: [d] }]);
        expect(await peer().claimDue({ worker_id: 'survivor', limit: 10, lease_ms: LEASE, now: at(499) })).toEqual([]);
        const [taken] = await peer().claimDue({ worker_id: 'survivor', limit: 10, lease_ms: LEASE, now: at(500) });
        expect(taken.delivery).toMatchObject({ delivery_id: d.delivery_id, locked_by: 'survivor' });
        expect(taken.event).toEqual(event);
        const late = makeAttempt({ subscription_id: d.subscription_id, event_id: event.event_id, status: 'delivered', attempted_at: at(600) });
        expect(await store().complete([{ delivery_id: d.delivery_id, worker_id: 'crashed', attempt: late, next: { status: 'delivered' } }])).toEqual([false]);
      });

      it('complete applies each transition that still holds its lease, and logs every attempt', async () => {
        const { event, deliveries: ds } = await enqueued({ subs: [uid('sub'), uid('sub'), uid('sub')] });
        await store().claimDue({ worker_id: 'w', limit: 3, lease_ms: LEASE, now: T0 });
        await store().releaseLeases('w', [ds[2].delivery_id]);
        const attempts = ds.map((d, i) =>
          makeAttempt({ subscription_id: d.subscription_id, event_id: event.event_id, status: i === 1 ? 'failed' : 'delivered', attempted_at: at(100 + i) }),
        );
        const result = await store().complete([
          { delivery_id: ds[0].delivery_id, worker_id: 'w', attempt: attempts[0], next: { status: 'delivered' } },
          { delivery_id: ds[1].delivery_id, worker_id: 'w', attempt: attempts[1], next: { status: 'pending', next_attempt_at: at(5000) } },
          { delivery_id: ds[2].delivery_id, worker_id: 'w', attempt: attempts[2], next: { status: 'delivered' } },
        ]);
        expect(result).toEqual([true, true, false]);
        for (const a of attempts) expect(await store().getAttempt(a.attempt_id)).toEqual(a);
        expect(await store().getDelivery(event.event_id, ds[0].subscription_id)).toMatchObject({ status: 'delivered', attempts: 1, locked_by: null, last_attempt_id: attempts[0].attempt_id });
        expect(await store().getDelivery(event.event_id, ds[1].subscription_id)).toMatchObject({ status: 'pending', next_attempt_at: at(5000), locked_by: null, locked_until: null });
        expect(await store().getDelivery(event.event_id, ds[2].subscription_id)).toMatchObject({ status: 'pending', last_attempt_id: null });
        expect(await store().complete([])).toEqual([]);
      });
    });

    describe('claimDue per_subscription_limit', () => {
      it('takes at most that many of one subscription, leaving room for the others', async () => {
        const busy = uid('sub');
        const quiet = uid('sub');
        const backlog = [];
        for (let i = 0; i < 6; i++) backlog.push(await enqueued({ created_at: at(i), subs: [busy] }));
        const other = await enqueued({ created_at: at(50), subs: [quiet] });
        const claimed = await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: at(1000), per_subscription_limit: 2 });
        const ids = claimed.map((c) => c.delivery.delivery_id);
        expect(ids).toEqual([backlog[0].deliveries[0].delivery_id, backlog[1].deliveries[0].delivery_id, other.deliveries[0].delivery_id]);
        const next = await store().claimDue({ worker_id: 'w2', limit: 10, lease_ms: LEASE, now: at(1000), per_subscription_limit: 2 });
        expect(next.map((c) => c.delivery.delivery_id)).toEqual([backlog[2].deliveries[0].delivery_id, backlog[3].deliveries[0].delivery_id]);
      });
    });

    describe('claimDue per_subscription_limits', () => {
      it('gives the listed subscriptions their own share instead of the default one', async () => {
        const low = uid('sub');
        const high = uid('sub');
        const plain = uid('sub');
        const of = (sub: string) => Array.from({ length: 6 }, (_, i) => i).map(async (i) => (await enqueued({ created_at: at(i), subs: [sub] })).deliveries[0].delivery_id);
        const ids = { low: await Promise.all(of(low)), high: await Promise.all(of(high)), plain: await Promise.all(of(plain)) };
        const claimed = await store().claimDue({ worker_id: 'w', limit: 100, lease_ms: LEASE, now: at(1000), per_subscription_limit: 3, per_subscription_limits: new Map([[low, 1], [high, 5]]) });
        const count = (sub: string) => claimed.filter((c) => c.delivery.subscription_id === sub).length;
        expect([count(low), count(high), count(plain)]).toEqual([1, 5, 3]);
        expect(claimed.filter((c) => c.delivery.subscription_id === high).map((c) => c.delivery.delivery_id).sort()).toEqual([...ids.high].sort().slice(0, 5).sort());
        // without a default share, the listed ones are still held to theirs
        await store().releaseLeases('w');
        const again = await store().claimDue({ worker_id: 'w', limit: 100, lease_ms: LEASE, now: at(1000), per_subscription_limits: new Map([[low, 2]]) });
        expect(again.filter((c) => c.delivery.subscription_id === low)).toHaveLength(2);
        expect(again).toHaveLength(14);
      });
    });

    describe('rate-limited subscriptions', () => {
      /** A subscription limited to `perSecond` with `n` deliveries due at T0, and an unlimited one with 3. */
      async function limited(perSecond: number, n: number) {
        const sub = await subs().create(makeSub({ rate_limit_per_second: perSecond }));
        const free = await subs().create(makeSub());
        const ids: string[] = [];
        for (let i = 0; i < n; i++) ids.push((await enqueued({ created_at: at(i - 10_000), subs: [sub.subscription_id] })).deliveries[0].delivery_id);
        for (let i = 0; i < 3; i++) await enqueued({ created_at: at(i - 10_000), subs: [free.subscription_id] });
        return { sub, free, ids };
      }
      const claimLimited = (now: Date, worker = 'w', queue: DeliveryQueue = store(), limit = 100) => queue.claimRateLimited({ worker_id: worker, limit, lease_ms: LEASE, now, per_subscription_limit: 8 });

      it('claimDue leaves them out; claimRateLimited takes a burst oldest first, then one token per interval, and says when the next comes', async () => {
        const { sub, free, ids } = await limited(200, 10);
        const general = await store().claimDue({ worker_id: 'w', limit: 100, lease_ms: LEASE, now: T0 });
        expect(general.map((c) => c.delivery.subscription_id)).toEqual([free.subscription_id, free.subscription_id, free.subscription_id]);
        // 200/s: grants 5.556 ms apart (90% of the limit) and a burst of 3; next_at is rounded up to the millisecond
        const interval = emissionIntervalUs(200) / 1000;
        const first = await claimLimited(T0);
        expect(first.claimed.map((c) => c.delivery.delivery_id)).toEqual(ids.slice(0, 3));
        expect(first.claimed[0].delivery).toMatchObject({ subscription_id: sub.subscription_id, locked_by: 'w', locked_until: new Date(T0.getTime() + LEASE) });
        expect(first.claimed[0].event.body).toContain('invoice.paid');
        expect(first.next_at).toEqual(at(Math.ceil(interval)));
        expect(await claimLimited(at(5))).toEqual({ claimed: [], next_at: at(6) });
        expect((await claimLimited(at(6))).claimed.map((c) => c.delivery.delivery_id)).toEqual([ids[3]]);
        expect(await claimLimited(at(11))).toEqual({ claimed: [], next_at: at(Math.ceil(2 * interval)) });
        expect((await claimLimited(at(12))).claimed.map((c) => c.delivery.delivery_id)).toEqual([ids[4]]);
        // idle long enough: never more than the burst at once
        expect((await claimLimited(at(5000))).claimed).toHaveLength(3);
        expect(await store().claimDue({ worker_id: 'w', limit: 100, lease_ms: LEASE, now: at(5000) })).toEqual([]);
      });

      it('holds one bucket for every claimer of the store: concurrent claims never get more tokens than it has', async () => {
        await limited(300, 40);
        const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => claimLimited(T0, `w${i}`, i % 2 ? peer() : store())));
        const granted = claims.flatMap((c) => c.claimed.map((x) => x.delivery.delivery_id));
        // 300/s: a burst of 4
        expect(granted).toHaveLength(4);
        expect(new Set(granted).size).toBe(4);
        for (const c of claims) if (c.claimed.length === 0) expect(c.next_at).not.toBeNull();
      });

      it('grants at most the limit plus the burst in any one-second window, over many claims', async () => {
        const { ids } = await limited(20, 60);
        const times: number[] = [];
        for (let t = 0; t < 2500; t += 7) {
          const r = await claimLimited(at(t), 'w', t % 2 ? peer() : store());
          for (const _ of r.claimed) times.push(t);
        }
        for (const t of times) expect(times.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(20);
        expect(times.length).toBeGreaterThanOrEqual(40);
        expect(times.length).toBeLessThan(ids.length);
      });

      it('respects exclusions, the claim limit and the per-subscription share; a claim that came back full says to come back now', async () => {
        const { sub } = await limited(1000, 50);
        expect(await store().claimRateLimited({ worker_id: 'w', limit: 100, lease_ms: LEASE, now: T0, exclude_subscription_ids: [sub.subscription_id] })).toEqual({ claimed: [], next_at: null });
        const capped = await store().claimRateLimited({ worker_id: 'w', limit: 100, lease_ms: LEASE, now: T0, per_subscription_limit: 4 });
        expect(capped.claimed).toHaveLength(4);
        const full = await store().claimRateLimited({ worker_id: 'w', limit: 2, lease_ms: LEASE, now: at(1000) });
        expect(full.claimed).toHaveLength(2);
        expect(full.next_at!.getTime()).toBeLessThanOrEqual(at(1000).getTime() + 1);
      });

      it('reports nothing to wait for when no rate-limited subscription has due work, and retries and redeliveries wait for tokens too', async () => {
        expect(await claimLimited(T0)).toEqual({ claimed: [], next_at: null });
        const sub = await subs().create(makeSub({ rate_limit_per_second: 1 }));
        const { event, deliveries: ds } = await enqueued({ subs: [sub.subscription_id] });
        const [c] = (await claimLimited(T0)).claimed;
        expect(c.delivery.delivery_id).toBe(ds[0].delivery_id);
        const retryAt = at(100);
        expect(await completeOne(store(), ds[0].delivery_id, 'w', makeAttempt({ subscription_id: sub.subscription_id, event_id: event.event_id }), { status: 'pending', next_attempt_at: retryAt })).toBe(true);
        expect(await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: at(200) })).toEqual([]);
        // 1/s: grants 1,111.112 ms apart (90% of the limit)
        const interval = emissionIntervalUs(1) / 1000;
        expect(await claimLimited(at(200))).toEqual({ claimed: [], next_at: at(Math.ceil(interval)) });
        expect((await claimLimited(at(Math.ceil(interval)))).claimed).toHaveLength(1);
        await store().releaseLeases('w');
        expect(await store().requeueDelivery(event.event_id, sub.subscription_id, at(1200))).toBe(true);
        expect(await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: at(1200) })).toEqual([]);
        expect(await claimLimited(at(1200))).toEqual({ claimed: [], next_at: at(Math.ceil(Math.ceil(interval) + interval)) });
      });

      it('follows the subscription: a limit set later applies, and a limit removed hands its deliveries back to claimDue', async () => {
        const sub = await subs().create(makeSub());
        for (let i = 0; i < 4; i++) await enqueued({ subs: [sub.subscription_id] });
        await subs().update({ ...sub, rate_limit_per_second: 1 });
        expect(await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: T0 })).toEqual([]);
        expect((await claimLimited(T0)).claimed).toHaveLength(1);
        // a new limit keeps the bucket's state
        await subs().update({ ...sub, rate_limit_per_second: 2 });
        expect((await claimLimited(T0)).claimed).toHaveLength(0);
        await subs().update({ ...sub, rate_limit_per_second: null });
        expect(await claimLimited(T0)).toEqual({ claimed: [], next_at: null });
        expect(await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: T0 })).toHaveLength(3);
        await subs().delete(sub.subscription_id);
        expect(await claimLimited(T0)).toEqual({ claimed: [], next_at: null });
      });
    });

    describe('ordered lanes', () => {
      /** Enqueues one event per entry, in order (created at T0 + i ms): `[subscription, lane or null]`. */
      async function laned(entries: Array<[string, string | null]>) {
        const out: Array<{ event: StoredEvent; delivery: NewDelivery }> = [];
        for (const [i, [subscription_id, lane]] of entries.entries()) {
          const event = makeEvent({ created_at: at(i) });
          const delivery = { delivery_id: uid('dlv'), subscription_id, lane };
          expect(await enqueueOne(store(), event, [delivery])).toBe(true);
          out.push({ event, delivery });
        }
        return out;
      }
      const claim = async (now: Date, worker = 'w', limit = 100) => (await store().claimDue({ worker_id: worker, limit, lease_ms: LEASE, now })).map((c) => c.delivery.delivery_id);
      const done = (d: NewDelivery, e: StoredEvent, next: DeliveryTransition, worker = 'w', when = at(100)) =>
        completeOne(store(), d.delivery_id, worker, makeAttempt({ subscription_id: d.subscription_id, event_id: e.event_id, attempted_at: when, status: next.status === 'pending' ? 'failed' : next.status }), next);

      it("claims a lane's deliveries one at a time, in enqueue order, beside other lanes, subscriptions and unordered deliveries", async () => {
        const [a1, a2, a3, b1, free, other] = await laned([
          ['s1', 'k1'],
          ['s1', 'k1'],
          ['s1', 'k1'],
          ['s1', 'k2'],
          ['s1', null],
          ['s2', 'k1'],
        ]);
        expect(await store().getDelivery(a1.event.event_id, 's1')).toMatchObject({ lane: 'k1', locked_by: null });
        expect(await store().getDelivery(free.event.event_id, 's1')).toMatchObject({ lane: null });
        expect((await claim(at(50))).sort()).toEqual([a1, b1, free, other].map((x) => x.delivery.delivery_id).sort());
        // The lane's next waits while the first is in flight, also after the others finished.
        expect(await done(b1.delivery, b1.event, { status: 'delivered' })).toBe(true);
        expect(await claim(at(60))).toEqual([]);
        expect(await done(a1.delivery, a1.event, { status: 'delivered' })).toBe(true);
        expect(await claim(at(70))).toEqual([a2.delivery.delivery_id]);
        // A retry holds the lane until it is due again (and then it goes first).
        expect(await done(a2.delivery, a2.event, { status: 'pending', next_attempt_at: at(1000) })).toBe(true);
        expect(await claim(at(999))).toEqual([]);
        expect(await claim(at(1000))).toEqual([a2.delivery.delivery_id]);
        // A dead letter ends its turn: the lane goes on.
        expect(await done(a2.delivery, a2.event, { status: 'dead_letter' })).toBe(true);
        expect(await claim(at(1001))).toEqual([a3.delivery.delivery_id]);
      });

      it('keeps the order of one batch, and stores a laned delivery unleased even when given a lease', async () => {
        const events = [makeEvent({ created_at: at(0) }), makeEvent({ created_at: at(0) }), makeEvent({ created_at: at(0) })];
        const lease = { worker_id: 'local', until: at(LEASE) };
        const items = events.map((event) => ({ event, deliveries: [{ delivery_id: uid('dlv'), subscription_id: 's1', lane: 'k', lease }] }));
        expect(await store().enqueue(items)).toEqual([true, true, true]);
        expect(await store().getDelivery(events[0].event_id, 's1')).toMatchObject({ locked_by: null, locked_until: null });
        for (const [i, item] of items.entries()) {
          expect(await claim(at(10 + i))).toEqual([item.deliveries[0].delivery_id]);
          expect(await done(item.deliveries[0], item.event, { status: 'delivered' })).toBe(true);
        }
      });

      it('a lease that expires or is released gives the turn back to the same delivery', async () => {
        const [a1, a2] = await laned([
          ['s1', 'k'],
          ['s1', 'k'],
        ]);
        expect(await claim(at(10), 'w1')).toEqual([a1.delivery.delivery_id]);
        expect(await claim(at(10 + LEASE - 1), 'w2')).toEqual([]);
        expect(await claim(at(10 + LEASE), 'w2')).toEqual([a1.delivery.delivery_id]);
        expect(await store().releaseLeases('w2')).toBe(1);
        expect(await claim(at(10 + LEASE), 'w3')).toEqual([a1.delivery.delivery_id]);
        // The first holder lost it: its completion does not apply, and the lane stays with the new holder.
        expect(await done(a1.delivery, a1.event, { status: 'delivered' }, 'w1')).toBe(false);
        expect(await claim(at(20 + LEASE), 'w4')).toEqual([]);
        expect(await done(a1.delivery, a1.event, { status: 'delivered' }, 'w3')).toBe(true);
        expect(await claim(at(20 + LEASE), 'w4')).toEqual([a2.delivery.delivery_id]);
      });

      it('a redelivery goes back to its place: after the delivery in flight, before the later ones not sent yet', async () => {
        const [a1, a2, a3] = await laned([
          ['s1', 'k'],
          ['s1', 'k'],
          ['s1', 'k'],
        ]);
        expect(await claim(at(10))).toEqual([a1.delivery.delivery_id]);
        expect(await done(a1.delivery, a1.event, { status: 'delivered' })).toBe(true);
        expect(await claim(at(20))).toEqual([a2.delivery.delivery_id]);
        expect(await store().requeueDelivery(a1.event.event_id, 's1', at(30))).toBe(true);
        expect(await claim(at(40))).toEqual([]);
        expect(await done(a2.delivery, a2.event, { status: 'delivered' })).toBe(true);
        expect(await claim(at(50))).toEqual([a1.delivery.delivery_id]);
        expect(await done(a1.delivery, a1.event, { status: 'dead_letter' })).toBe(true);
        expect(await claim(at(60))).toEqual([a3.delivery.delivery_id]);
        expect(await done(a3.delivery, a3.event, { status: 'delivered' })).toBe(true);
        // A redriven dead letter takes its turn again too.
        expect(await store().requeueDeadLetters({}, at(70))).toBe(1);
        expect(await claim(at(70))).toEqual([a1.delivery.delivery_id]);
      });

      it('a rate-limited ordered subscription gets tokens for its lanes in turn only', async () => {
        const sub = await subs().create(makeSub({ rate_limit_per_second: 1000, ordered: true }));
        const id = sub.subscription_id;
        const [a1, , b1] = await laned([
          [id, 'k1'],
          [id, 'k1'],
          [id, 'k2'],
        ]);
        expect(await claim(at(10))).toEqual([]);
        const taken = await store().claimRateLimited({ worker_id: 'w', limit: 100, lease_ms: LEASE, now: at(10) });
        expect(taken.claimed.map((c) => c.delivery.delivery_id).sort()).toEqual([a1.delivery.delivery_id, b1.delivery.delivery_id].sort());
      });
    });

    describe('leaseByIds', () => {
      it('leases the given deliveries that are pending, due, unleased and not laned; returns the ids it leased', async () => {
        const event = makeEvent({ created_at: at(0) });
        const ds: NewDelivery[] = [...deliveriesFor(['l1', 'l2', 'l3', 'l4']), { delivery_id: uid('dlv'), subscription_id: 'l5', lane: 'k' }];
        expect(await enqueueOne(store(), event, ds)).toBe(true);
        // l3 is held by another worker; l4 waits for a retry.
        const held = await store().claimDue({ worker_id: 'other', limit: 1, lease_ms: LEASE, now: at(10), exclude_subscription_ids: ['l1', 'l2', 'l4', 'l5'] });
        expect(held.map((c) => c.delivery.subscription_id)).toEqual(['l3']);
        const retrying = await store().claimDue({ worker_id: 'other', limit: 1, lease_ms: LEASE, now: at(10), exclude_subscription_ids: ['l1', 'l2', 'l3', 'l5'] });
        expect(await completeOne(store(), retrying[0].delivery.delivery_id, 'other', makeAttempt({ subscription_id: 'l4', event_id: event.event_id }), { status: 'pending', next_attempt_at: at(5000) })).toBe(true);
        const lease = { worker_id: 'me', until: at(10 + LEASE) };
        const leased = await store().leaseByIds([...ds.map((d) => d.delivery_id), 'no-such-delivery'], lease, at(20));
        expect(leased.sort()).toEqual([ds[0].delivery_id, ds[1].delivery_id].sort());
        expect(await store().getDelivery(event.event_id, 'l1')).toMatchObject({ locked_by: 'me', locked_until: lease.until });
        expect(await store().getDelivery(event.event_id, 'l3')).toMatchObject({ locked_by: 'other' });
        // Held: no claim takes them, and leasing them again gives nothing.
        expect((await store().claimDue({ worker_id: 'third', limit: 10, lease_ms: LEASE, now: at(30) })).map((c) => c.delivery.subscription_id)).toEqual(['l5']);
        expect(await store().leaseByIds([ds[0].delivery_id], { worker_id: 'third', until: at(40 + LEASE) }, at(40))).toEqual([]);
        expect(await store().leaseByIds([], lease, at(40))).toEqual([]);
        // The holder completes as after a claim.
        expect(await completeOne(store(), ds[0].delivery_id, 'me', makeAttempt({ subscription_id: 'l1', event_id: event.event_id, status: 'delivered' }), { status: 'delivered' })).toBe(true);
      });
    });

    describe('requeue', () => {
      it('requeueDelivery makes one delivery due now with a fresh cycle, whatever its state', async () => {
        const { event, deliveries: ds } = await enqueued({ subs: ['x', 'y'] });
        const last = await finish(ds[0], event, 'dead_letter', at(10));
        await finish(ds[1], event, 'delivered', at(11));
        expect(await store().requeueDelivery(event.event_id, 'x', at(500))).toBe(true);
        expect(await store().getDelivery(event.event_id, 'x')).toMatchObject({
          status: 'pending',
          attempts: 0,
          next_attempt_at: at(500),
          locked_by: null,
          locked_until: null,
          last_attempt_id: last.attempt_id,
          updated_at: at(500),
        });
        expect(await store().getDeadLetters()).toEqual([]);
        expect(await store().countDeadLetters()).toBe(0);
        expect(await store().requeueDelivery(event.event_id, 'y', at(500))).toBe(true);
        expect(await store().requeueDelivery(event.event_id, 'nobody', at(500))).toBe(false);
        expect(await store().requeueDelivery('no-event', 'x', at(500))).toBe(false);
        expect(await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: at(499) })).toEqual([]);
        expect((await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: at(500) })).map((c) => c.delivery.subscription_id).sort()).toEqual(['x', 'y']);
      });

      it('requeueDelivery takes a leased delivery away from its worker', async () => {
        const { event, deliveries: ds } = await enqueued();
        await store().claimDue({ worker_id: 'w', limit: 1, lease_ms: LEASE, now: T0 });
        expect(await store().requeueDelivery(event.event_id, ds[0].subscription_id, at(5))).toBe(true);
        expect(await store().getDelivery(event.event_id, ds[0].subscription_id)).toMatchObject({ locked_by: null, locked_until: null, next_attempt_at: at(5) });
      });

      it('requeueDeadLetters revives dead letters by subscription and time of the last attempt', async () => {
        const e1 = await enqueued({ subs: ['r-a', 'r-b'] });
        const e2 = await enqueued({ subs: ['r-a', 'r-b'] });
        await finish(e1.deliveries[0], e1.event, 'dead_letter', at(100)); // r-a @100
        await finish(e1.deliveries[1], e1.event, 'dead_letter', at(200)); // r-b @200
        await finish(e2.deliveries[0], e2.event, 'dead_letter', at(300)); // r-a @300
        await finish(e2.deliveries[1], e2.event, 'delivered', at(400)); // not a dead letter

        // since is inclusive, until exclusive
        expect(await store().requeueDeadLetters({ since: at(200), until: at(300) }, at(1000))).toBe(1);
        expect(await store().getDelivery(e1.event.event_id, 'r-b')).toMatchObject({ status: 'pending', attempts: 0, next_attempt_at: at(1000) });
        expect(await store().requeueDeadLetters({ subscription_id: 'r-b' }, at(1000))).toBe(0);
        expect(await store().requeueDeadLetters({ subscription_id: 'r-a', until: at(100) }, at(1000))).toBe(0);
        expect(await store().requeueDeadLetters({ subscription_id: 'r-a', since: at(101) }, at(1000))).toBe(1);
        expect(await store().getDelivery(e2.event.event_id, 'r-a')).toMatchObject({ status: 'pending' });
        expect(await store().countDeadLetters()).toBe(1);
        expect(await store().requeueDeadLetters({}, at(1000))).toBe(1);
        expect(await store().countDeadLetters()).toBe(0);
        expect(await store().getDelivery(e2.event.event_id, 'r-b')).toMatchObject({ status: 'delivered' });
        const claimed = await store().claimDue({ worker_id: 'w', limit: 10, lease_ms: LEASE, now: at(1000) });
        expect(claimed).toHaveLength(3);
      });
    });

    describe('releaseLeases', () => {
      it('drops the leases of one worker so others claim them at once', async () => {
        const { deliveries: ds } = await enqueued({ subs: ['l1', 'l2', 'l3', 'l4'] });
        const mine = await store().claimDue({ worker_id: 'a', limit: 3, lease_ms: LEASE, now: T0 });
        await store().claimDue({ worker_id: 'b', limit: 3, lease_ms: LEASE, now: T0 });
        const ids = mine.map((c) => c.delivery.delivery_id);
        expect(await store().releaseLeases('nobody')).toBe(0);
        expect(await store().releaseLeases('a', [])).toBe(0);
        expect(await store().releaseLeases('a', [ids[0], 'unknown'])).toBe(1);
        expect(await store().releaseLeases('a', [ids[0]])).toBe(0);
        expect(await store().releaseLeases('a')).toBe(2);
        const again = await store().claimDue({ worker_id: 'c', limit: 10, lease_ms: LEASE, now: T0 });
        expect(again.map((c) => c.delivery.delivery_id).sort()).toEqual([...ids].sort());
        expect(ds).toHaveLength(4);
      });
    });

    describe('countRecentFailures', () => {
      it('counts failures since a time and after the last success', async () => {
        const rec = (subscription_id: string, status: DeliveryStatus, ms: number) => store().recordAttempt(makeAttempt({ subscription_id, status, attempted_at: at(ms) }));
        await rec('f', 'failed', 10);
        await rec('f', 'failed', 20);
        await rec('f', 'dead_letter', 30);
        await rec('f', 'cancelled', 35);
        await rec('other', 'failed', 40);
        expect(await store().countRecentFailures('f', at(0))).toBe(3);
        expect(await store().countRecentFailures('f', at(20))).toBe(2);
        expect(await store().countRecentFailures('f', at(31))).toBe(0);
        await rec('f', 'delivered', 50);
        expect(await store().countRecentFailures('f', at(0))).toBe(0);
        await rec('f', 'failed', 60);
        await rec('f', 'failed', 70);
        expect(await store().countRecentFailures('f', at(0))).toBe(2);
        expect(await store().countRecentFailures('f', at(65))).toBe(1);
        // a success before `since` changes nothing
        expect(await store().countRecentFailures('f', at(55))).toBe(2);
        // a failure at the same instant as the success is not after it
        await rec('g', 'delivered', 100);
        await rec('g', 'failed', 100);
        await rec('g', 'failed', 101);
        expect(await store().countRecentFailures('g', at(0))).toBe(1);
        expect(await store().countRecentFailures('nobody', at(0))).toBe(0);
      });
    });

    describe('purge', () => {
      it('deletes old attempts, and old events whose deliveries are all final', async () => {
        const cutoff = at(1_000_000);
        const done = await enqueued({ created_at: at(0), subs: ['p1', 'p2', 'p3'] });
        const doneAttempts = [
          await finish(done.deliveries[0], done.event, 'delivered', at(10)),
          await finish(done.deliveries[1], done.event, 'dead_letter', at(20)),
          await finish(done.deliveries[2], done.event, 'cancelled', at(30)),
        ];
        const open = await enqueued({ created_at: at(1), subs: ['p1', 'p2'] });
        await finish(open.deliveries[0], open.event, 'delivered', at(40));
        const empty = makeEvent({ created_at: at(2) });
        await enqueueOne(store(), empty, []);
        const recent = await enqueued({ created_at: at(2_000_000), subs: ['p1'] });
        await finish(recent.deliveries[0], recent.event, 'delivered', at(2_000_001));
        const keptAttempt = makeAttempt({ attempted_at: cutoff });
        await store().recordAttempt(keptAttempt);

        expect(await store().purge(cutoff)).toEqual({ attempts: 4, events: 2 });
        for (const a of doneAttempts) expect(await store().getAttempt(a.attempt_id)).toBeNull();
        expect(await store().getAttempt(keptAttempt.attempt_id)).toEqual(keptAttempt);
        expect(await store().getEvent(done.event.event_id)).toBeNull();
        expect(await store().getEvent(empty.event_id)).toBeNull();
        for (const d of done.deliveries) expect(await store().getDelivery(done.event.event_id, d.subscription_id)).toBeNull();
        expect(await store().countDeadLetters()).toBe(0);
        expect(await store().getEvent(open.event.event_id)).toEqual(open.event);
        expect(await store().getDelivery(open.event.event_id, 'p1')).toMatchObject({ status: 'delivered' });
        expect(await store().getDelivery(open.event.event_id, 'p2')).toMatchObject({ status: 'pending' });
        expect(await store().getEvent(recent.event.event_id)).toEqual(recent.event);
        expect(await store().getAttempts()).toHaveLength(2);
        expect(await store().purge(cutoff)).toEqual({ attempts: 0, events: 0 });
      });

      it('purges more rows than one batch', async () => {
        const total = 1234;
        const attempts = Array.from({ length: total }, (_, i) => makeAttempt({ subscription_id: `bulk-${i % 7}`, attempted_at: at(i) }));
        for (let i = 0; i < attempts.length; i += 50) await Promise.all(attempts.slice(i, i + 50).map((a) => store().recordAttempt(a)));
        const events = Array.from({ length: 1100 }, (_, i) => makeEvent({ created_at: at(i % 50) }));
        for (let i = 0; i < events.length; i += 50) await Promise.all(events.slice(i, i + 50).map((e) => enqueueOne(store(), e, [])));
        expect(await store().purge(at(1000))).toEqual({ attempts: 1000, events: 1100 });
        expect(await store().getAttempts({ limit: 1000 })).toHaveLength(total - 1000);
        expect(await store().purge(at(total))).toEqual({ attempts: total - 1000, events: 0 });
      });
    });

    describe('identifiers', () => {
      it('compare exactly: ids and tenants differing only in case are distinct', async () => {
        const upper = await subs().create(makeSub({ subscription_id: 'Case-Sub', tenant_id: 'Tenant' }));
        const lower = await subs().create(makeSub({ subscription_id: 'case-sub', tenant_id: 'tenant' }));
        expect(await subs().get('CASE-SUB')).toBeNull();
        expect(await subs().list({ tenant_id: 'Tenant' })).toEqual([upper]);
        expect(await subs().count({ tenant_id: 'tenant' })).toBe(1);
        expect(await subs().delete('case-sub')).toBe(true);
        expect(await subs().get('Case-Sub')).toEqual(upper);
        expect(lower.subscription_id).toBe('case-sub');

        const a = makeEvent({ event_id: 'Order-42' });
        const b = makeEvent({ event_id: 'order-42' });
        expect(await enqueueOne(store(), a, [{ delivery_id: 'Dlv-1', subscription_id: 'Case-Sub' }])).toBe(true);
        expect(await enqueueOne(store(), b, [{ delivery_id: 'dlv-1', subscription_id: 'case-sub' }])).toBe(true);
        expect(await store().getEvent('ORDER-42')).toBeNull();
        expect((await store().getEvent('order-42'))!.body).toBe(b.body);
        expect(await store().getDelivery('Order-42', 'case-sub')).toBeNull();
        expect((await store().getDelivery('order-42', 'case-sub'))!.delivery_id).toBe('dlv-1');
        await store().recordAttempt(makeAttempt({ attempt_id: 'Att-1', subscription_id: 'Case-Sub' }));
        await store().recordAttempt(makeAttempt({ attempt_id: 'att-1', subscription_id: 'case-sub' }));
        expect((await store().getAttempts({ subscription_id: 'case-sub' })).map((x) => x.attempt_id)).toEqual(['att-1']);
      });
    });

    describeObservabilityContract({
      store,
      async enqueue(subscriptionIds, created_at, event = {}) {
        const e = makeEvent({ created_at, ...event });
        const ds = deliveriesFor(subscriptionIds);
        expect(await enqueueOne(store(), e, ds)).toBe(true);
        return { event: e, deliveryIds: ds.map((d) => d.delivery_id) };
      },
    });

    describe('dates', () => {
      it('round-trip with millisecond precision everywhere', async () => {
        const stamps = [new Date('2031-01-01T00:00:00.001Z'), new Date('2031-06-30T12:34:56.999Z'), new Date('2031-03-27T01:30:00.500Z')];
        for (const t of stamps) {
          const event = makeEvent({ created_at: t, occurred_at: new Date(t.getTime() - 1) });
          await enqueueOne(store(), event, deliveriesFor(['ms']));
          expect(await store().getEvent(event.event_id)).toMatchObject({ created_at: t, occurred_at: new Date(t.getTime() - 1) });
          expect((await store().getDelivery(event.event_id, 'ms'))!.next_attempt_at.getTime()).toBe(t.getTime());
        }
        // 1 ms apart still orders and gates correctly
        expect(await store().claimDue({ worker_id: 'w', limit: 5, lease_ms: 7, now: new Date(stamps[0].getTime() - 1) })).toEqual([]);
        const claimed = await store().claimDue({ worker_id: 'w', limit: 5, lease_ms: 7, now: stamps[2] });
        expect(claimed.map((c) => c.delivery.next_attempt_at)).toEqual([stamps[0], stamps[2]]);
        expect(claimed[0].delivery.locked_until).toEqual(new Date(stamps[2].getTime() + 7));
      });
    });
  });
}
