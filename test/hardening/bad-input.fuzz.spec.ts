import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { InvalidEventError, WebhookError, type WebhookSubscription } from '../../lib';
import { classifyAddress } from '../../lib/security/address-policy';
import { createTestApp, type TestApp } from '../support/app';
import { ok, TestReceiver } from '../support/receiver';

/**
 * Issue 5.5: random input thrown at dispatch() and at the subscription service never crashes: every call either
 * succeeds or throws a WebhookError subclass, and a refused call writes nothing.
 */
const RUNS = 200;

/** Everything fast-check can build, including the values JSON cannot carry. */
const anything = fc.anything({
  maxDepth: 3,
  withBigInt: true,
  withDate: true,
  withMap: true,
  withSet: true,
  withTypedArray: true,
  withSparseArray: true,
  withNullPrototype: true,
  withBoxedValues: true,
  withObjectString: true,
  withUnicodeString: true,
});

/** Payloads that are hostile on purpose (built fresh each time, as some are stateful). */
const nastyPayload = fc.constantFrom(
  () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    return o;
  },
  () => ({ n: 10n }),
  () => ({ toJSON: () => { throw new Error('toJSON exploded'); } }),
  () => Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new TypeError('getter exploded'); } }),
  () => new Proxy({}, { ownKeys: () => { throw new Error('proxy exploded'); } }),
  () => Symbol('s'),
  () => () => 1,
  () => undefined,
  () => 'x'.repeat(300_000),
  () => ({ nested: 'é'.repeat(140_000) }),
  () => {
    let deep: unknown = 0;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    return deep;
  },
  () => Object.create(null) as object,
  () => new Map([[1, 2]]),
  () => '\ud800 lone surrogate',
  () => [NaN, Infinity, -0],
);

const eventType = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[a-z]{1,10}(\.[a-z*]{1,10})?$/) },
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', 'a'.repeat(200), 'a'.repeat(201), 'a.*', 'user created', 'ü', 'a\nb', '__proto__', 'constructor'),
  anything,
);

const eventInput = fc.oneof(
  { weight: 4, arbitrary: fc.record(
    {
      event_type: eventType,
      payload: fc.oneof({ weight: 8, arbitrary: fc.jsonValue({ maxDepth: 3 }) }, anything, nastyPayload.map((make) => make())),
      event_id: fc.oneof({ weight: 8, arbitrary: fc.stringMatching(/^[!-~]{1,40}$/) }, fc.string({ maxLength: 40 }), fc.constantFrom('x'.repeat(255), 'x'.repeat(256), 'a b', '', null), anything),
      occurred_at: fc.oneof(
        { weight: 8, arbitrary: fc.date({ noInvalidDate: false }) },
        fc.string({ maxLength: 30 }),
        fc.constantFrom('2024-02-30T00:00:00Z', '2024-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', null),
        anything,
      ),
      source: fc.oneof({ weight: 8, arbitrary: fc.option(fc.string({ maxLength: 300 })) }, anything),
      tenant_id: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('t1', null) }, fc.string({ maxLength: 300 }), anything),
    },
    { requiredKeys: [] },
  ) },
  { weight: 1, arbitrary: anything },
);

const url = fc.oneof(
  { weight: 4, arbitrary: fc.webUrl({ withQueryParameters: true }) },
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.webUrl({ authoritySettings: { withUserInfo: true, withPort: true, withIPv4: true, withIPv6: true } }),
  fc.string({ maxLength: 60 }),
  fc.constantFrom(
    'http://',
    'http://[::1',
    'ftp://example.com/',
    'http://exa mple.com/',
    'http://example.com/\n',
    ' http://example.com/',
    'javascript:alert(1)',
    'http://example.com:99999/',
    `http://example.com/${'a'.repeat(3000)}`,
    'HTTP://EXAMPLE.COM/Path',
    'https://bücher.example/hook',
  ),
  anything,
);

const subscriptionFields = {
  url,
  event_types: fc.oneof(
    { weight: 8, arbitrary: fc.option(fc.array(fc.stringMatching(/^[a-z]{1,8}(\.[a-z*]{1,8})?$/), { minLength: 1, maxLength: 5 })) },
    fc.array(eventType, { maxLength: 5 }),
    fc.array(fc.constant('a'), { minLength: 101, maxLength: 101 }),
    anything,
  ),
  description: fc.oneof({ weight: 8, arbitrary: fc.option(fc.string({ maxLength: 100 })) }, fc.string({ maxLength: 1100 }), anything),
  tenant_id: fc.oneof({ weight: 8, arbitrary: fc.option(fc.string({ maxLength: 30 })) }, fc.string({ maxLength: 300 }), anything),
  metadata: fc.oneof(
    { weight: 8, arbitrary: fc.option(fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 })) },
    fc.constant({ big: 'm'.repeat(20_000) }),
    anything,
    nastyPayload.map((make) => make()),
  ),
  signature_type: fc.oneof({ weight: 4, arbitrary: fc.constantFrom('hmac-sha256', 'ed25519') }, anything),
};

/** A subscription as a store keeps it: `public_key` is derived by the service, never stored. */
const stored = (sub: WebhookSubscription): WebhookSubscription => {
  const { public_key: _derived, ...fields } = sub;
  return fields;
};

const subscriptionInput = fc.oneof({ weight: 4, arbitrary: fc.record(subscriptionFields, { requiredKeys: [] }) }, { weight: 1, arbitrary: anything });
const subscriptionPatch = fc.oneof({ weight: 4, arbitrary: fc.record(subscriptionFields, { requiredKeys: [] }) }, { weight: 1, arbitrary: anything });

/** Runs `call`; returns its value, or the error after checking it is a WebhookError with a message. */
async function settle<T>(call: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: WebhookError }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (!(error instanceof WebhookError)) {
      throw new Error(`expected a WebhookError, got ${(error as Error)?.constructor?.name}: ${(error as Error)?.message ?? String(error)}`);
    }
    expect(typeof error.code).toBe('string');
    expect(error.message.length).toBeGreaterThan(10);
    return { ok: false, error };
  }
}

describe('bad input (property-based)', () => {
  let receiver: TestReceiver;
  let t: TestApp;
  const MAX_PAYLOAD = 4096;
  /** Events actually written by the store (enqueue returned true). */
  let written = 0;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/fuzz', ok());
    t = await createTestApp({ max_payload_bytes: MAX_PAYLOAD, retry_max_attempts: 1 });
    const enqueue = t.deliveries.enqueue.bind(t.deliveries);
    t.deliveries.enqueue = async (items) => {
      const created = await enqueue(items);
      written += created.filter(Boolean).length;
      return created;
    };
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  it('dispatch(): accepted, or refused with a WebhookError and nothing written', async () => {
    await t.subscriptions.create({ url: receiver.url('/fuzz') });
    await t.subscriptions.create({ url: receiver.url('/fuzz'), event_types: ['a.*'] });
    const accepted = new Set<string>();
    let refusals = 0;
    await fc.assert(
      fc.asyncProperty(eventInput, async (input) => {
        const before = written;
        const knownId = typeof (input as { event_id?: unknown })?.event_id === 'string' ? (input as { event_id: string }).event_id : null;
        const existed = knownId !== null && (await t.deliveries.getEvent(knownId)) !== null;
        const res = await settle(() => t.delivery.dispatch(input as never));
        if (res.ok) {
          const { event_id, duplicate, delivery_count } = res.value;
          expect(typeof event_id).toBe('string');
          expect(written).toBe(duplicate ? before : before + 1);
          expect(duplicate).toBe(accepted.has(event_id));
          const stored = await t.deliveries.getEvent(event_id);
          expect(stored).not.toBeNull();
          // What is stored is valid JSON within the limit, and is exactly the body receivers will get.
          expect(Buffer.byteLength(stored!.body)).toBeLessThanOrEqual(MAX_PAYLOAD);
          expect(JSON.parse(stored!.body)).toMatchObject({ event_id, event_type: stored!.event_type });
          if (!duplicate) expect(delivery_count).toBeGreaterThanOrEqual(0);
          accepted.add(event_id);
        } else {
          refusals++;
          expect(res.error).toBeInstanceOf(InvalidEventError);
          expect(written).toBe(before);
          if (knownId !== null && !existed) expect(await t.deliveries.getEvent(knownId)).toBeNull();
        }
      }),
      { numRuns: RUNS },
    );
    // Both branches were exercised.
    expect(accepted.size).toBeGreaterThan(5);
    expect(refusals).toBeGreaterThan(5);
  });

  it('payload size: refused over max_payload_bytes with a clear error, accepted up to it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 * MAX_PAYLOAD }), fc.constantFrom('a', 'é', '😀'), async (n, ch) => {
        const before = written;
        const payload = { text: ch.repeat(Math.ceil(n / Buffer.byteLength(ch))) };
        const res = await settle(() => t.delivery.dispatch({ event_type: 'size.check', payload }));
        if (res.ok) {
          const stored = await t.deliveries.getEvent(res.value.event_id);
          expect(Buffer.byteLength(stored!.body)).toBeLessThanOrEqual(MAX_PAYLOAD);
        } else {
          expect(res.error.message).toMatch(new RegExp(`event body is \\d+ bytes, over max_payload_bytes \\(${MAX_PAYLOAD}\\)`));
          expect(written).toBe(before);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('the default limit is 256 KiB', async () => {
    const app = await createTestApp();
    try {
      await expect(app.delivery.dispatch({ event_type: 'a', payload: 'x'.repeat(256 * 1024) })).rejects.toThrow(/over max_payload_bytes \(262144\)/);
      await expect(app.delivery.dispatch({ event_type: 'a', payload: 'x'.repeat(200 * 1024) })).resolves.toMatchObject({ duplicate: false });
    } finally {
      await app.close();
    }
  });

  it('redeliver(): random ids give a Result error, never a throw', async () => {
    await fc.assert(
      fc.asyncProperty(anything, async (id) => {
        const res = await t.delivery.redeliver(id as never);
        expect(res.ok).toBe(false);
        expect(!res.ok && res.error).toBeInstanceOf(WebhookError);
      }),
      { numRuns: RUNS },
    );
  });

  it('subscriptions.create(): stored as returned, or refused with a WebhookError and nothing stored', async () => {
    let created = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(subscriptionInput, async (input) => {
        const before = await t.subscriptionStore.count();
        const res = await settle(() => t.subscriptions.create(input as never));
        if (res.ok) {
          created++;
          expect(await t.subscriptionStore.count()).toBe(before + 1);
          expect(await t.subscriptionStore.get(res.value.subscription_id)).toEqual(stored(res.value));
          expect(res.value.url).toMatch(/^https?:\/\//);
          expect(res.value.secret).toMatch(res.value.signature_type === 'ed25519' ? /^whsk_/ : /^whsec_/);
          expect(res.value.public_key).toEqual(res.value.signature_type === 'ed25519' ? expect.stringMatching(/^whpk_/) : null);
          // Keep the store small and the worker idle: nothing is dispatched to these.
          await t.subscriptions.delete(res.value.subscription_id);
        } else {
          refused++;
          expect(await t.subscriptionStore.count()).toBe(before);
        }
      }),
      { numRuns: RUNS },
    );
    expect(created).toBeGreaterThan(5);
    expect(refused).toBeGreaterThan(5);
  });

  it('metadata that does not serialize as a JSON object (a Date, a boxed primitive, a toJSON that returns text) is refused, and nothing changes', async () => {
    const base = await t.subscriptions.create({ url: 'https://example.com/meta', event_types: ['never.sent'], metadata: { team: 'a' } });
    const count = await t.subscriptionStore.count();
    for (const metadata of [new Date(0), new Boolean(false), new Number(1), { toJSON: () => 'text' }]) {
      await expect(t.subscriptions.create({ url: 'https://example.com/meta', metadata } as never)).rejects.toMatchObject({ code: 'INVALID_SUBSCRIPTION', field: 'metadata' });
      await expect(t.subscriptions.update(base.subscription_id, { metadata } as never)).rejects.toMatchObject({ code: 'INVALID_SUBSCRIPTION', field: 'metadata' });
    }
    expect(await t.subscriptionStore.count()).toBe(count);
    expect((await t.subscriptionStore.get(base.subscription_id))!.metadata).toEqual({ team: 'a' });
  });

  it('subscriptions.update(): applied, or refused with a WebhookError and the stored subscription unchanged', async () => {
    const base = await t.subscriptions.create({ url: 'https://example.com/base', event_types: ['never.sent'] });
    await fc.assert(
      fc.asyncProperty(subscriptionPatch, async (patch) => {
        const before = (await t.subscriptionStore.get(base.subscription_id)) as WebhookSubscription;
        const res = await settle(() => t.subscriptions.update(base.subscription_id, patch as never));
        const after = await t.subscriptionStore.get(base.subscription_id);
        if (res.ok) {
          expect(after).toEqual(stored(res.value));
          // Fields update() does not own never change; the secret only with a change of signature_type.
          expect(after).toMatchObject({ active: before.active, created_at: before.created_at, subscription_id: before.subscription_id });
          if (after!.signature_type === before.signature_type) expect(after!.secret).toBe(before.secret);
          else expect(after).toMatchObject({ previous_secret: before.secret, secret: expect.stringMatching(after!.signature_type === 'ed25519' ? /^whsk_/ : /^whsec_/) });
        } else {
          expect(after).toEqual(before);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('get/update/delete/activate/deactivate/rotateSecret with random ids: SubscriptionNotFoundError, nothing changed', async () => {
    const count = await t.subscriptionStore.count();
    await fc.assert(
      fc.asyncProperty(anything, fc.constantFrom('get', 'update', 'delete', 'activate', 'deactivate', 'rotateSecret'), async (id, method) => {
        const svc = t.subscriptions as unknown as Record<string, (id: unknown, patch?: unknown) => Promise<unknown>>;
        const res = await settle(() => svc[method](id, { description: 'x' }));
        expect(res.ok).toBe(false);
        expect(!res.ok && res.error.code).toBe('SUBSCRIPTION_NOT_FOUND');
      }),
      { numRuns: RUNS },
    );
    expect(await t.subscriptionStore.count()).toBe(count);
  });
});

describe('bad input with the SSRF guard on (IP-literal URLs, no DNS needed)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ allow_private_urls: false });
  });
  afterAll(async () => {
    await t.close();
  });

  it('create() accepts exactly the URLs whose address the guard classifies as public', async () => {
    const host = fc.oneof(fc.ipV4(), fc.ipV4Extended(), fc.ipV6().map((ip) => `[${ip}]`), fc.constantFrom('[::ffff:10.0.0.1]', '[64:ff9b::7f00:1]', '[2002:7f00:1::]', '0', '017700000001', '0x7f000001'));
    await fc.assert(
      fc.asyncProperty(host, fc.constantFrom('http', 'https'), async (h, scheme) => {
        const raw = `${scheme}://${h}/hook`;
        let hostname: string | null = null;
        try {
          hostname = new URL(raw).hostname;
        } catch {
          hostname = null;
        }
        const before = await t.subscriptionStore.count();
        const res = await settle(() => t.subscriptions.create({ url: raw }));
        if (hostname === null) {
          expect(res.ok).toBe(false);
        } else {
          const blocked = classifyAddress(hostname).blocked;
          expect(res.ok).toBe(!blocked);
          if (!res.ok) expect(res.error.code).toBe('INVALID_WEBHOOK_URL');
        }
        expect(await t.subscriptionStore.count()).toBe(res.ok ? before + 1 : before);
        if (res.ok) await t.subscriptions.delete(res.value.subscription_id);
      }),
      { numRuns: RUNS },
    );
  });
});
