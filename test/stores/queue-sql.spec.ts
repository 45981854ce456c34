import { beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { AttemptCompletion } from '../../lib/domain/stores';
import type { StoredEvent } from '../../lib/domain/types';
import { statsRowsOf, type StatsRow } from '../../lib/stores/attempt-stats';
import { WEBHOOK_ENTITIES } from '../../lib/stores/typeorm';
import type { LaneDemand } from '../../lib/stores/typeorm/dialects/lane-sequences';
import { mysqlAddStats, mysqlInsertDeliveries, mysqlUpsertLanes } from '../../lib/stores/typeorm/dialects/mysql/write.sql';
import { pgAddStats } from '../../lib/stores/typeorm/dialects/postgres/add-stats.sql';
import { pgClaim } from '../../lib/stores/typeorm/dialects/postgres/claim.sql';
import { pgComplete } from '../../lib/stores/typeorm/dialects/postgres/complete.sql';
import { pgEnqueue } from '../../lib/stores/typeorm/dialects/postgres/enqueue.sql';
import { pgLeaseByIds } from '../../lib/stores/typeorm/dialects/postgres/lease-by-ids.sql';
import { pgNotify } from '../../lib/stores/typeorm/dialects/postgres/notify.sql';
import { pgTakeLanes } from '../../lib/stores/typeorm/dialects/postgres/take-lanes.sql';
import type { ClaimRequest } from '../../lib/stores/typeorm/dialects/queue-dialect';
import type { SqlStatement } from '../../lib/stores/typeorm/dialects/sql-statement';
import { sqliteAddStats, sqliteInsertDeliveries, sqliteUpsertLanes } from '../../lib/stores/typeorm/dialects/sqlite/write.sql';
import { deliveryRows, type NewDeliveryRow } from '../../lib/stores/typeorm/typeorm-rows';

/*
 * The queue's hand-written SQL, per dialect: each statement built from representative inputs. The snapshots
 * (`__snapshots__/queue-sql.spec.ts.snap`) show every change to a statement's text in review; the checks beside
 * them fail when a placeholder and its value drift apart (a count, an order, or a value of the wrong kind for the
 * placeholder's cast). Whether the statements do what they should on a real database is the store contract
 * suite's job (test/stores/*.store.spec.ts).
 */

const T0 = new Date('2026-01-02T03:04:05.678Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

const EVENTS: StoredEvent[] = [
  { event_id: 'evt_1', event_type: 'order.created', body: '{"id":1}', occurred_at: T0, source: 'shop', created_at: later(1), traceparent: null },
  { event_id: 'evt_2', event_type: 'order.paid', body: '{"id":2}', occurred_at: later(2), source: null, created_at: later(3), traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' },
];
const ROWS: NewDeliveryRow[] = [
  ...deliveryRows(EVENTS[0], [
    { delivery_id: 'dlv_1', subscription_id: 'sub_a', lease: { worker_id: 'w1', until: later(30_000) } },
    { delivery_id: 'dlv_2', subscription_id: 'sub_b', lane: 'customer-7' },
  ]),
  ...deliveryRows(EVENTS[1], [{ delivery_id: 'dlv_3', subscription_id: 'sub_a' }]),
].map((r) => (r.lane ? { ...r, lane_seq: 42 } : r));
const DEMANDS: LaneDemand[] = [
  { subscription_id: 'sub_b', lane_key: 'customer-7', count: 1 },
  { subscription_id: 'sub_c', lane_key: 'k', count: 3 },
];
const COMPLETIONS: AttemptCompletion[] = [
  {
    delivery_id: 'dlv_1',
    worker_id: 'w1',
    attempt: { attempt_id: 'att_1', subscription_id: 'sub_a', event_id: 'evt_1', event_type: 'order.created', status: 'delivered', status_code: 200, attempt_number: 1, attempted_at: later(10), next_retry_at: null, error_message: null, duration_ms: 12.4 },
    next: { status: 'delivered' },
  },
  {
    delivery_id: 'dlv_3',
    worker_id: 'w1',
    attempt: { attempt_id: 'att_2', subscription_id: 'sub_a', event_id: 'evt_2', event_type: 'order.paid', status: 'failed', status_code: 503, attempt_number: 2, attempted_at: later(20), next_retry_at: later(60_000), error_message: 'HTTP 503', duration_ms: 80 },
    next: { status: 'pending', next_attempt_at: later(60_000) },
  },
];
const STATS: StatsRow[] = statsRowsOf(COMPLETIONS.map((c) => c.attempt));
const LEASE = { locked_until: later(30_000), locked_by: 'w1', updated_at: T0 };
const CLAIMS: Record<string, ClaimRequest> = {
  'oldest due first': { limit: 10, now: T0, lease: LEASE, excluded: null, per_subscription: null, limits: null },
  'fair, with an excluded subscription and one of its own limit': { limit: 10, now: T0, lease: LEASE, excluded: ['sub_x'], per_subscription: 2, limits: [['sub_a', 5]] },
};

/** A DataSource with the webhook entities' metadata, never connected: the statements need only names and the driver. */
async function offline(options: DataSourceOptions): Promise<DataSource> {
  const ds = new DataSource({ ...options, entities: WEBHOOK_ENTITIES } as DataSourceOptions);
  await (ds as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
  return ds;
}

/** The text one clause a line (for reading the snapshot; the SQL itself is one line). */
function readable(text: string): string {
  return text.replace(/ (?=(?:WITH|SELECT|FROM|WHERE|ON CONFLICT|ON DUPLICATE KEY|DO UPDATE|RETURNING|ORDER BY|LIMIT|FOR UPDATE|[a-z]+ AS \((?:INSERT|UPDATE|SELECT))\b)/g, '\n');
}

/** A value's kind, for the snapshots: `string`, `Date`, `null`, `number`, `string[3]`, ... */
function kind(value: unknown): string {
  if (Array.isArray(value)) return `${[...new Set(value.map(kind))].join('|') || 'empty'}[${value.length}]`;
  if (value === null) return 'null';
  if (value instanceof Date) return 'Date';
  return typeof value;
}

/** Removes string literals and quoted names, where a `$1` or `?` is not a placeholder. */
function withoutLiterals(text: string): string {
  return text.replace(/'(?:[^']|'')*'/g, "''").replace(/"(?:[^"]|"")*"/g, '""').replace(/`[^`]*`/g, '``');
}

/**
 * PostgreSQL: `$1..$n` are exactly the values, each first used in order (`$1` before `$2`, ...), and each value
 * fits every cast its placeholder has (`::varchar[]` an array of strings or nulls, `::int[]` of numbers, ...).
 */
function checkNumbered(statement: SqlStatement): void {
  const text = withoutLiterals(statement.text);
  const firstUses: number[] = [];
  for (const m of text.matchAll(/\$(\d+)/g)) if (!firstUses.includes(Number(m[1]))) firstUses.push(Number(m[1]));
  expect(firstUses).toEqual(statement.values.map((_, i) => i + 1));
  for (const m of text.matchAll(/\$(\d+)::([a-z]+)(?:\(\d+\))?(\[\])?/g)) {
    const value = statement.values[Number(m[1]) - 1];
    const scalar = m[2] === 'varchar' || m[2] === 'text' ? 'string' : m[2] === 'timestamp' ? 'Date' : 'number';
    const fits = (v: unknown) => v === null || (scalar === 'Date' ? v instanceof Date : typeof v === scalar);
    const ok = m[3] ? Array.isArray(value) && value.every(fits) : fits(value);
    if (!ok) throw new Error(`$${m[1]}::${m[2]}${m[3] ?? ''} is given ${kind(value)}`);
  }
}

/** MySQL/MariaDB and SQLite: as many `?` as values. */
function checkPositional(statement: SqlStatement): void {
  expect(withoutLiterals(statement.text).split('?').length - 1).toBe(statement.values.length);
  expect(statement.text).not.toMatch(/\$\d/);
}

/** What a snapshot holds of a statement. */
function shown(statement: SqlStatement): { text: string; values: string[] } {
  return { text: readable(statement.text), values: statement.values.map(kind) };
}

describe('queue SQL, PostgreSQL', () => {
  let ds: DataSource;
  beforeAll(async () => {
    ds = await offline({ type: 'postgres', schema: 'webhooks' });
  });

  const statements: Record<string, () => SqlStatement> = {
    enqueue: () => pgEnqueue(ds, EVENTS, ROWS),
    'enqueue, events without deliveries': () => pgEnqueue(ds, EVENTS, []),
    takeLanes: () => pgTakeLanes(ds, DEMANDS, T0.getTime()),
    leaseByIds: () => pgLeaseByIds(ds, ['dlv_1', 'dlv_3'], { worker_id: 'w2', until: later(30_000) }, T0),
    complete: () => pgComplete(ds, COMPLETIONS),
    addStats: () => pgAddStats(ds, STATS),
    notify: () => pgNotify(ds, 'd:abc'),
    ...Object.fromEntries(Object.entries(CLAIMS).map(([name, request]) => [`claim, ${name}`, () => pgClaim(ds, request)])),
  };

  for (const [name, build] of Object.entries(statements)) {
    it(`${name}: placeholders $1..$n in order, one per value, of the kind its cast says`, () => {
      const statement = build();
      checkNumbered(statement);
      expect(shown(statement)).toMatchSnapshot();
    });
  }

  it('a placeholder drifting from its value fails the check', () => {
    const statement = pgEnqueue(ds, EVENTS, ROWS);
    const swapped = [...statement.values];
    [swapped[3], swapped[4]] = [swapped[4], swapped[3]];
    expect(() => checkNumbered({ text: statement.text, values: swapped })).toThrow('$4::timestamp[] is given string|null[2]');
    expect(() => checkNumbered({ text: statement.text, values: statement.values.slice(1) })).toThrow();
    expect(() => checkNumbered({ text: statement.text.replace('$8::', '$17::'), values: statement.values })).toThrow();
  });

  it('values line up with the rows they describe', () => {
    const enqueue = pgEnqueue(ds, EVENTS, ROWS).values as unknown[][];
    expect(enqueue.slice(0, 7).map((a) => a.length)).toEqual(Array(7).fill(EVENTS.length));
    expect(enqueue.slice(7).map((a) => a.length)).toEqual(Array(9).fill(ROWS.length));
    expect(enqueue[6]).toEqual([null, EVENTS[1].traceparent]);
    expect(enqueue[15]).toEqual([null, 42, null]);
    const complete = pgComplete(ds, COMPLETIONS).values as unknown[][];
    expect(complete.slice(0, 15).map((a) => a.length)).toEqual(Array(15).fill(COMPLETIONS.length));
    expect(complete[14]).toEqual([null, later(60_000)]);
    expect(complete.slice(15).map((a) => a.length)).toEqual(Array(6).fill(STATS.length));
  });
});

const POSITIONAL: Array<[string, DataSourceOptions, Record<string, (ds: DataSource) => SqlStatement>]> = [
  [
    'MySQL/MariaDB',
    { type: 'mariadb', database: 'webhooks' },
    {
      insertDeliveries: (ds) => mysqlInsertDeliveries(ds, ROWS),
      upsertLanes: (ds) => mysqlUpsertLanes(ds, DEMANDS, T0.getTime()),
      addStats: (ds) => mysqlAddStats(ds, STATS),
    },
  ],
  [
    'SQLite',
    { type: 'better-sqlite3', database: ':memory:' },
    {
      insertDeliveries: (ds) => sqliteInsertDeliveries(ds, ROWS),
      upsertLanes: (ds) => sqliteUpsertLanes(ds, DEMANDS, T0.getTime()),
      addStats: (ds) => sqliteAddStats(ds, STATS),
    },
  ],
];

for (const [label, options, statements] of POSITIONAL) {
  describe(`queue SQL, ${label}`, () => {
    let ds: DataSource;
    beforeAll(async () => {
      ds = await offline(options);
    });

    for (const [name, build] of Object.entries(statements)) {
      it(`${name}: one value per ?`, () => {
        const statement = build(ds);
        checkPositional(statement);
        expect(shown(statement)).toMatchSnapshot();
      });
    }
  });
}

describe('queue SQL, positional rows', () => {
  it('MySQL writes 11 values a delivery, in column order, the three dates its own', async () => {
    const ds = await offline({ type: 'mariadb', database: 'webhooks' });
    const { values } = mysqlInsertDeliveries(ds, ROWS.slice(0, 1));
    expect(values.map(kind)).toEqual(['string', 'string', 'string', 'string', 'Date', 'Date', 'Date', 'string', 'Date', 'null', 'null']);
    expect(values.slice(0, 4)).toEqual(['dlv_1', 'sub_a', 'evt_1', 'order.created']);
  });

  it('SQLite takes the deliveries as one JSON array, one entry a row, fields in the order json_extract reads them', async () => {
    const ds = await offline({ type: 'better-sqlite3', database: ':memory:' });
    const { text, values } = sqliteInsertDeliveries(ds, ROWS);
    expect(values).toHaveLength(1);
    const rows = JSON.parse(values[0] as string) as unknown[][];
    expect(rows).toHaveLength(ROWS.length);
    const fields = [...text.matchAll(/json_extract\(d\.value, '\$\[(\d)\]'\)/g)].map((m) => Number(m[1]));
    expect(Math.max(...fields) + 1).toBe(rows[0].length);
    expect(rows[1].slice(0, 4)).toEqual(['dlv_2', 'sub_b', 'evt_1', 'order.created']);
    expect(rows[1].slice(7)).toEqual(['customer-7', 42]);
  });
});
