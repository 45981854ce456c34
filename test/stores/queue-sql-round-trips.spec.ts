import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { ClaimedDelivery, StoredEvent } from '../../lib/domain/types';
import { TypeOrmDeliveryStore, WebhookDataSourceRef } from '../../lib/stores/typeorm';
import { closeTestDataSource, createTestDataSource, describeIfDatabase } from '../support/databases';

/*
 * The PostgreSQL queue keeps each write on the hot path of a delivery to ONE statement (see postgres.dialect.ts):
 * counted here as the queries TypeORM sends (BEGIN and COMMIT included), so a change to a statement's SQL that adds a
 * round trip fails. (The same counts as before the statements moved into dialects/postgres/*.sql.ts.)
 */

const T0 = new Date('2031-05-06T07:08:09.123Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

function event(id: string): StoredEvent {
  return { event_id: id, event_type: 'invoice.paid', body: '{}', occurred_at: T0, source: null, created_at: T0, traceparent: null };
}

describeIfDatabase('postgres', 'PostgreSQL queue round trips', () => {
  let ds: DataSource;
  let store: TypeOrmDeliveryStore;
  let queries = 0;

  beforeAll(async () => {
    ds = await createTestDataSource('postgres', { namespace: 'webhook_sql_round_trips' });
    const logger = ds.logger;
    // Every query a query runner sends goes through logQuery.
    (ds as unknown as { logger: unknown }).logger = new Proxy(logger, {
      get: (target, property) => (property === 'logQuery' ? () => queries++ : (target as unknown as Record<PropertyKey, unknown>)[property]),
    });
    store = new TypeOrmDeliveryStore(WebhookDataSourceRef.of(ds));
  });

  afterAll(async () => {
    await closeTestDataSource(ds);
  });

  async function counted<T>(fn: () => Promise<T>): Promise<[T, number]> {
    queries = 0;
    const result = await fn();
    return [result, queries];
  }

  it('enqueue, claim, complete and leaseByIds take one statement each; laned deliveries add their lane numbers in a transaction', async () => {
    // As dispatch() stores them: leased to the dispatching worker (lease expired by the claim below).
    const lease = { worker_id: 'dispatcher', until: at(500) };
    const items = Array.from({ length: 10 }, (_, i) => ({ event: event(`e${i}`), deliveries: [{ delivery_id: `d${i}`, subscription_id: 's1', lease }] }));
    expect(await counted(() => store.enqueue(items))).toEqual([Array(10).fill(true), 1]);

    const laned = [{ event: event('e-laned'), deliveries: [{ delivery_id: 'l1', subscription_id: 's2', lane: 'k' }] }];
    // BEGIN, the lane numbers, the enqueue, COMMIT; then the NOTIFY telling other replicas of a delivery nobody holds.
    expect(await counted(() => store.enqueue(laned))).toEqual([[true], 5]);

    const [claimed, claimQueries] = await counted(() => store.claimDue({ worker_id: 'w', limit: 20, lease_ms: 30_000, now: at(1000) }));
    expect(claimed).toHaveLength(11);
    expect(claimQueries).toBe(1);

    const completions = (claimed as ClaimedDelivery[]).map(({ delivery, event: e }) => ({
      delivery_id: delivery.delivery_id,
      worker_id: 'w',
      attempt: { attempt_id: `a-${delivery.delivery_id}`, subscription_id: delivery.subscription_id, event_id: e.event_id, event_type: e.event_type, status: 'failed' as const, status_code: 500, attempt_number: 1, attempted_at: at(2000), next_retry_at: at(3000), error_message: 'HTTP 500', duration_ms: 5 },
      next: { status: 'pending' as const, next_attempt_at: at(3000) },
    }));
    expect(await counted(() => store.complete(completions))).toEqual([Array(11).fill(true), 1]);

    expect(await counted(() => store.leaseByIds(['d1', 'd2', 'l1'], { worker_id: 'w2', until: at(60_000) }, at(4000)))).toEqual([['d1', 'd2'], 1]);
  });
});
