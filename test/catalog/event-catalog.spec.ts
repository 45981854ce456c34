import { describe, expect, it } from '@jest/globals';
import { IsString } from 'class-validator';
import { EventCatalog, InvalidEventError, InvalidSubscriptionError, InvalidWebhookConfigError, type EventCatalogEntry } from '../../lib';
import { resolveWebhookConfig } from '../../lib/config';
import { catalogEntries, CUSTOMER_UPDATED_SCHEMA, INVOICE_PAID_EXAMPLE, InvoicePaidDto } from './catalog-fixtures';

/** The error `fn` rejects with. */
async function rejection(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

/** The payload `refused` throws for, as `InvalidEventError`. */
async function refusal(catalog: EventCatalog, eventType: string, payload: unknown): Promise<InvalidEventError> {
  const err = await rejection(() => catalog.checkPayload(eventType, payload));
  expect(err).toBeInstanceOf(InvalidEventError);
  expect((err as InvalidEventError).code).toBe('INVALID_EVENT');
  return err as InvalidEventError;
}

const paths = (err: InvalidEventError): string[] => err.fieldErrors.map((f) => f.path).sort();

describe('EventCatalog: class-validator schemas', () => {
  it('accepts a valid payload, with nested objects and arrays', async () => {
    const catalog = await EventCatalog.create(catalogEntries());
    await expect(catalog.checkPayload('invoice.paid', INVOICE_PAID_EXAMPLE)).resolves.toBeUndefined();
    await expect(catalog.checkPayload('invoice.paid', { ...INVOICE_PAID_EXAMPLE, tags: ['a', 'b'], extra: 'not decorated, allowed' })).resolves.toBeUndefined();
  });

  it('refuses a bad payload listing every failing field by dot path, nested and in arrays', async () => {
    const catalog = await EventCatalog.create(catalogEntries());
    const err = await refusal(catalog, 'invoice.paid', {
      invoice_id: 1001,
      amount: -5,
      currency: 'GBP',
      customer: { id: 'cus_42', email: 'not-an-email' },
      lines: [{ sku: 'plan-pro', quantity: 1 }, { sku: '', quantity: 0 }],
      tags: ['ok', 7],
    });
    expect(paths(err)).toEqual(['amount', 'currency', 'customer.email', 'invoice_id', 'lines.1.quantity', 'lines.1.sku', 'tags']);
    expect(err.fieldErrors).toContainEqual({ path: 'customer.email', message: 'must be an email' });
    expect(err.fieldErrors).toContainEqual({ path: 'lines.1.quantity', message: 'must not be less than 1' });
    expect(err.message).toContain('"invoice.paid"');
    expect(err.message).toContain('customer.email: must be an email');
    expect(err.message).toContain('lines.1.sku');
    // Values are never echoed (payloads may hold personal data).
    expect(err.message).not.toContain('not-an-email');
  });

  it('refuses missing nested objects, wrong item types and a payload that is not an object', async () => {
    const catalog = await EventCatalog.create(catalogEntries());
    const missing = await refusal(catalog, 'invoice.paid', { invoice_id: 'in_1', amount: 1, currency: 'EUR', lines: [] });
    expect(paths(missing)).toEqual(['customer', 'lines']);
    const items = await refusal(catalog, 'invoice.paid', { ...INVOICE_PAID_EXAMPLE, lines: ['plan-pro'] });
    expect(paths(items)).toEqual(['lines.0']);
    for (const payload of [null, 'invoice', [INVOICE_PAID_EXAMPLE], 42]) {
      const err = await refusal(catalog, 'invoice.paid', payload);
      expect(err.fieldErrors).toEqual([{ path: '', message: expect.stringContaining('must be an object') }]);
      expect(err.message).toContain('(payload): must be an object');
    }
  });
});

describe('EventCatalog: JSON Schema', () => {
  it('accepts a valid payload and refuses a bad one with required, type, bound, enum and additional properties named', async () => {
    const catalog = await EventCatalog.create(catalogEntries());
    await expect(catalog.checkPayload('customer.updated', { customer_id: 'cus_1', changes: { plan: 'free' } })).resolves.toBeUndefined();
    const err = await refusal(catalog, 'customer.updated', { customer_id: 'c', changes: { plan: 'gold', seats: 0, colour: 'red' }, reasons: ['a', 2] });
    expect(err.fieldErrors).toEqual(
      expect.arrayContaining([
        { path: 'customer_id', message: 'must NOT have fewer than 3 characters' },
        { path: 'changes.plan', message: 'must be one of "free", "pro", "enterprise"' },
        { path: 'changes.seats', message: 'must be >= 1' },
        { path: 'changes.colour', message: 'is not allowed (no such property in the schema)' },
        { path: 'reasons.1', message: 'must be string' },
      ]),
    );
    const missing = await refusal(catalog, 'customer.updated', { changes: {} });
    expect(missing.fieldErrors).toEqual([
      { path: 'customer_id', message: 'is required' },
      { path: 'changes.plan', message: 'is required' },
    ]);
    const notObject = await refusal(catalog, 'customer.updated', []);
    expect(notObject.fieldErrors).toEqual([{ path: '', message: 'must be object' }]);
  });

  it('concurrent checks of one schema each get their own errors (ajv keeps them on the shared function)', async () => {
    const catalog = await EventCatalog.create(catalogEntries());
    const good = { customer_id: 'cus_1', changes: { plan: 'pro' } };
    const bad = { customer_id: 'cus_1', changes: { plan: 'pro', seats: 0 } };
    const results = await Promise.allSettled([bad, good, bad, good].map((payload) => catalog.checkPayload('customer.updated', payload)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled', 'rejected', 'fulfilled']);
    for (const r of results.filter((x) => x.status === 'rejected')) expect((r.reason as InvalidEventError).fieldErrors).toEqual([{ path: 'changes.seats', message: 'must be >= 1' }]);
  });

  it('checks 2020-12 schemas with the matching ajv, and keys with dots or slashes keep their names', async () => {
    const catalog = await EventCatalog.create([
      {
        event_type: 'thing.done',
        schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { 'a/b': { type: 'string' } }, unevaluatedProperties: false },
      },
    ]);
    const err = await refusal(catalog, 'thing.done', { 'a/b': 1, other: true });
    expect(err.fieldErrors).toEqual(expect.arrayContaining([{ path: 'a/b', message: 'must be string' }, { path: 'other', message: 'is not allowed (no such property in the schema)' }]));
  });
});

describe('EventCatalog: event types', () => {
  it('refuses a type that is not catalogued, naming the catalogued ones and the way out', async () => {
    const catalog = await EventCatalog.create(catalogEntries());
    const err = await refusal(catalog, 'invoice.voided', { any: 'thing' });
    expect(err.message).toContain('"invoice.voided" is not in the event catalog');
    expect(err.message).toContain('invoice.paid, customer.updated');
    expect(err.message).toContain('allow_unlisted_event_types');
    expect(err.fieldErrors).toEqual([]);
  });

  it('with allow_unlisted_event_types, accepts unlisted types unchecked but still checks catalogued ones', async () => {
    const catalog = await EventCatalog.create(catalogEntries(), { allow_unlisted_event_types: true });
    await expect(catalog.checkPayload('invoice.voided', 'anything')).resolves.toBeUndefined();
    await refusal(catalog, 'invoice.paid', {});
  });

  it('without entries, accepts everything (as if there were no catalog)', async () => {
    for (const catalog of [await EventCatalog.create([]), await EventCatalog.create(undefined), EventCatalog.empty()]) {
      expect(catalog.enabled).toBe(false);
      await expect(catalog.checkPayload('anything.at.all', { x: 1 })).resolves.toBeUndefined();
      expect(catalog.checkSubscriptionEventTypes(['not.listed'])).toEqual(['not.listed']);
      await expect(catalog.describe()).resolves.toEqual([]);
    }
  });

  it('reads the payload of a serialized event back from its body', async () => {
    const catalog = await EventCatalog.create(catalogEntries());
    const body = (payload: unknown) => JSON.stringify({ event_id: 'e1', event_type: 'invoice.paid', occurred_at: '2030-01-01T00:00:00.000Z', source: null, payload });
    await expect(catalog.checkEvent({ event_type: 'invoice.paid', body: body(INVOICE_PAID_EXAMPLE) })).resolves.toBeUndefined();
    await expect(catalog.checkEvent({ event_type: 'invoice.paid', body: body({}) })).rejects.toBeInstanceOf(InvalidEventError);
  });
});

describe('EventCatalog: subscriptions', () => {
  it('accepts catalogued names, wildcards matching at least one, and null; refuses the rest naming the pattern', async () => {
    const catalog = await EventCatalog.create(catalogEntries());
    expect(catalog.checkSubscriptionEventTypes(['invoice.paid', 'customer.*', '*'])).toEqual(['invoice.paid', 'customer.*', '*']);
    expect(catalog.checkSubscriptionEventTypes(null)).toBeNull();
    for (const [types, message] of [
      [['invoice.paid', 'invoice.voided'], '"invoice.voided" is not an event type in the event catalog'],
      [['order.*'], '"order.*" matches no event type in the event catalog'],
    ] as const) {
      let err: unknown;
      try {
        catalog.checkSubscriptionEventTypes([...types]);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidSubscriptionError);
      expect((err as InvalidSubscriptionError).field).toBe('event_types');
      expect((err as Error).message).toContain(message);
    }
  });

  it('with allow_unlisted_event_types, any name is allowed', async () => {
    const catalog = await EventCatalog.create(catalogEntries(), { allow_unlisted_event_types: true });
    expect(catalog.checkSubscriptionEventTypes(['order.*', 'x'])).toEqual(['order.*', 'x']);
  });
});

describe('EventCatalog: test events', () => {
  it('gives the example of a catalogued type the subscription receives; refuses the other cases clearly', async () => {
    const entries: EventCatalogEntry[] = [...catalogEntries(), { event_type: 'invoice.draft', schema: { type: 'object' } }];
    const catalog = await EventCatalog.create(entries);
    const sub = { subscription_id: 'sub_1', event_types: ['invoice.*'] };
    expect(catalog.testEvent('invoice.paid', sub)).toEqual({ event_type: 'invoice.paid', payload: INVOICE_PAID_EXAMPLE });
    expect(() => catalog.testEvent('invoice.voided', sub)).toThrow(/not in the event catalog/);
    expect(() => catalog.testEvent('invoice.draft', sub)).toThrow(/has no example/);
    expect(() => catalog.testEvent('customer.updated', sub)).toThrow(/does not receive that type/);
    expect(() => catalog.testEvent(42, sub)).toThrow(InvalidEventError);
    expect(catalog.testEvent('customer.updated', { subscription_id: 'sub_2', event_types: null }).payload).toEqual({ customer_id: 'cus_42', changes: { plan: 'pro', seats: 5 } });
  });
});

describe('EventCatalog: start-up checks', () => {
  const configError = async (entries: unknown, options = {}): Promise<InvalidWebhookConfigError> => {
    const err = await rejection(() => EventCatalog.create(entries as EventCatalogEntry[], options));
    expect(err).toBeInstanceOf(InvalidWebhookConfigError);
    expect((err as InvalidWebhookConfigError).key).toBe('event_catalog');
    return err as InvalidWebhookConfigError;
  };

  class Undecorated {
    name?: string;
  }
  class OnlyName {
    @IsString()
    name!: string;
  }

  it.each([
    ['not an array', { event_type: 'a' }, 'must be an array'],
    ['an entry that is not an object', ['invoice.paid'], '[0]: must be an object'],
    ['a missing event_type', [{ schema: { type: 'object' } }], '[0]: event_type must be an event type name'],
    ['a wildcard event_type', [{ event_type: 'invoice.*', schema: { type: 'object' } }], '[0] "invoice.*": event_type must be an event type name'],
    ['a duplicate event_type', [{ event_type: 'a.b', schema: { type: 'object' } }, { event_type: 'a.b', schema: { type: 'string' } }], '[1] "a.b": event_type is already catalogued by entry [0]'],
    ['a missing schema', [{ event_type: 'a.b' }], '[0] "a.b": schema is required'],
    ['a schema that is an array', [{ event_type: 'a.b', schema: [] }], '[0] "a.b": schema must be a class-validator class or a JSON Schema object (got an array)'],
    ['a schema that is a string', [{ event_type: 'a.b', schema: 'InvoicePaidDto' }], '(got string)'],
    ['a schema that is an arrow function', [{ event_type: 'a.b', schema: () => InvoicePaidDto }], '(got a function that is not a class)'],
    ['a schema that is a class instance', [{ event_type: 'a.b', schema: new OnlyName() }], 'schema must be a class-validator class or a JSON Schema object'],
    ['an unknown key', [{ event_type: 'a.b', schema: { type: 'object' }, examples: [] }], '[0] "a.b": unknown key "examples"'],
    ['a description that is not a string', [{ event_type: 'a.b', schema: { type: 'object' }, description: 1 }], 'description must be a string'],
  ])('refuses %s', async (_what, entries, message) => {
    const err = await configError(entries);
    expect(err.message).toContain(message);
    // The same check runs in the module config, where the app stops at start-up.
    expect(() => resolveWebhookConfig({ event_catalog: entries as EventCatalogEntry[] })).toThrow(message);
  });

  it('refuses a class without class-validator decorators', async () => {
    const err = await configError([{ event_type: 'a.b', schema: Undecorated }]);
    expect(err.message).toContain('[0] "a.b": schema Undecorated has no class-validator decorators');
  });

  it('refuses a JSON Schema ajv cannot compile, saying why', async () => {
    expect((await configError([{ event_type: 'a.b', schema: { type: 'object' } }, { event_type: 'c.d', schema: { type: 'strnig' } }])).message).toMatch(/\[1\] "c\.d": ajv cannot compile its JSON Schema .*type/);
    expect((await configError([{ event_type: 'a.b', schema: { type: 'object', requird: ['x'] } }])).message).toContain('unknown keyword: "requird"');
    expect((await configError([{ event_type: 'a.b', schema: { $ref: '#/definitions/Missing' } }])).message).toContain("can't resolve reference");
    expect((await configError([{ event_type: 'a.b', schema: { type: 'string', format: 'email' } }])).message).toContain('unknown format "email"');
    expect((await configError([{ event_type: 'a.b', schema: { $schema: 'http://json-schema.org/draft-04/schema#' } }])).message).toContain('is not supported');
  });

  it('refuses an example that fails its own schema, naming the fields', async () => {
    const cls = await configError([{ event_type: 'invoice.paid', schema: InvoicePaidDto, example: { ...INVOICE_PAID_EXAMPLE, customer: { id: 'c', email: 'nope' } } }]);
    expect(cls.message).toContain('[0] "invoice.paid": example does not match its own schema: customer.email: must be an email');
    const json = await configError([{ event_type: 'customer.updated', schema: CUSTOMER_UPDATED_SCHEMA, example: { customer_id: 'cus_1' } }]);
    expect(json.message).toContain('[0] "customer.updated": example does not match its own schema: changes: is required');
    const bigint = await configError([{ event_type: 'x.y', schema: { type: 'object' }, example: { n: 1n } }]);
    expect(bigint.message).toContain('example is not JSON-serializable');
  });

  it('validates allow_unlisted_event_types as a boolean', () => {
    expect(() => resolveWebhookConfig({ allow_unlisted_event_types: 'yes' as never })).toThrow('invalid webhook config "allow_unlisted_event_types": must be true or false');
    const config = resolveWebhookConfig({});
    expect(config.event_catalog).toEqual([]);
    expect(config.allow_unlisted_event_types).toBe(false);
  });
});
