import { describe, expect, it } from '@jest/globals';
import { STATS_SLICE_MS } from '../../lib/domain/stats';
import type { WebhookDeliveryStore } from '../../lib/domain/stores';
import type { DeliveryAttempt, DeliveryStatus, StoredEvent } from '../../lib/domain/types';

/** What the observability contract needs from the store contract's harness. */
export interface ObservabilityContext {
  store(): WebhookDeliveryStore;
  /** A stored event with one pending delivery per subscription id, created at `created_at`. */
  enqueue(subscriptionIds: string[], created_at: Date, event?: Partial<StoredEvent>): Promise<{ event: StoredEvent; deliveryIds: string[] }>;
}

const S = STATS_SLICE_MS;
/** A slice start in 2031 (slices are 5-minute aligned). */
const BASE = Math.floor(Date.parse('2031-05-06T07:08:09.123Z') / S) * S;
const t = (slice: number, ms = 0) => new Date(BASE + slice * S + ms);

let n = 0;
function attempt(subscription_id: string, status: DeliveryStatus, attempted_at: Date, duration_ms: number, over: Partial<DeliveryAttempt> = {}): DeliveryAttempt {
  n++;
  return {
    attempt_id: `obs-att-${n.toString().padStart(6, '0')}`,
    subscription_id,
    event_id: `obs-evt-${n}`,
    event_type: 'invoice.paid',
    status,
    status_code: status === 'delivered' ? 200 : status === 'cancelled' ? null : 500,
    attempt_number: 1,
    attempted_at,
    next_retry_at: null,
    error_message: null,
    duration_ms,
    ...over,
  };
}

const emptySeries = (from: number, buckets: number, bucketSlices: number) => Array.from({ length: buckets }, (_, i) => ({ start: t(from + i * bucketSlices), attempts: 0, failed: 0 }));

/**
 * Endpoint stats, the queue snapshot, the attempt log's new filters and the trace context: the same expectations on
 * every backend (called inside `runStoreContract`, which resets the stores before each test).
 */
export function describeObservabilityContract(ctx: ObservabilityContext): void {
  const store = () => ctx.store();
  const record = async (attempts: DeliveryAttempt[]) => {
    for (let i = 0; i < attempts.length; i += 25) await Promise.all(attempts.slice(i, i + 25).map((a) => store().recordAttempt(a)));
  };

  describe('endpoint stats', () => {
    /** sub A: 90 delivered in slice 0 (12 ms), 10 failed in slice 1 (700 ms), a cancelled one; sub B: 5 delivered in slice 2 (40 ms). */
    async function seed(): Promise<{ lastA: Date; lastB: Date }> {
      // Some through the queue (complete), the rest straight into the log (test sends): both count.
      const { deliveryIds } = await ctx.enqueue(['obs-a', 'obs-a2'], t(0));
      const claimed = await store().claimDue({ worker_id: 'obs-w', limit: 10, lease_ms: 60_000, now: t(0, 1) });
      expect(claimed).toHaveLength(2);
      const viaQueue = [attempt('obs-a', 'delivered', t(0, 10), 12), attempt('obs-a', 'failed', t(1, 10), 700)];
      await store().complete(
        viaQueue.map((a, i) => ({ delivery_id: claimed[i].delivery.delivery_id, worker_id: 'obs-w', attempt: { ...a, subscription_id: 'obs-a' }, next: { status: a.status === 'delivered' ? 'delivered' : 'dead_letter' } })),
      );
      expect(deliveryIds).toHaveLength(2);
      const rest: DeliveryAttempt[] = [];
      for (let i = 1; i < 90; i++) rest.push(attempt('obs-a', 'delivered', t(0, 100 + i * 1000), 12));
      for (let i = 1; i < 10; i++) rest.push(attempt('obs-a', i % 3 ? 'failed' : 'dead_letter', t(1, 100 + i * 1000), 700));
      rest.push(attempt('obs-a', 'cancelled', t(1, 50_000), 0));
      for (let i = 0; i < 5; i++) rest.push(attempt('obs-b', 'delivered', t(2, 1000 + i), 40));
      await record(rest);
      return { lastA: t(0, 100 + 89 * 1000), lastB: t(2, 1004) };
    }

    it('counts the attempts sent in a range: totals, success rate, estimated p50/p95, last success, run of failures, series', async () => {
      const { lastA, lastB } = await seed();
      const a = await store().attemptStats({ subscription_id: 'obs-a', since: t(0), until: t(3), bucket_ms: 2 * S });
      expect(a).toEqual({
        attempts: 100,
        delivered: 90,
        failed: 10,
        success_rate: 0.9,
        // 90 in the 10-15 ms class, 10 in the 500-750 ms class, interpolated within the class
        p50_ms: 12.8,
        p95_ms: 625,
        last_success_at: lastA,
        consecutive_failures: 10,
        series: [
          { start: t(0), attempts: 100, failed: 10 },
          { start: t(2), attempts: 0, failed: 0 },
        ],
      });
      const all = await store().attemptStats({ since: t(0), until: t(3), bucket_ms: S });
      expect(all).toEqual({
        attempts: 105,
        delivered: 95,
        failed: 10,
        success_rate: 95 / 105,
        p50_ms: 12.9,
        p95_ms: 618.8,
        last_success_at: lastB,
        consecutive_failures: 0,
        series: [
          { start: t(0), attempts: 90, failed: 0 },
          { start: t(1), attempts: 10, failed: 10 },
          { start: t(2), attempts: 5, failed: 0 },
        ],
      });
    });

    it('reports the last success from before the range, and the failures after it within the range', async () => {
      const { lastA } = await seed();
      const late = await store().attemptStats({ subscription_id: 'obs-a', since: t(1), until: t(2), bucket_ms: S });
      expect(late).toMatchObject({ attempts: 10, delivered: 0, failed: 10, success_rate: 0, p50_ms: 625, p95_ms: 737.5, last_success_at: lastA, consecutive_failures: 10 });
      // the range is counted in whole slices: an end inside slice 1 includes all of it
      expect(await store().attemptStats({ subscription_id: 'obs-a', since: t(1, 1), until: t(1, 2), bucket_ms: S })).toEqual(late);
    });

    it('counts a run that starts inside the slice of the last success', async () => {
      await record([
        attempt('obs-c', 'failed', t(0, 1000), 5),
        attempt('obs-c', 'delivered', t(0, 2000), 5),
        attempt('obs-c', 'failed', t(0, 2000), 5),
        attempt('obs-c', 'failed', t(0, 3000), 5),
        attempt('obs-c', 'dead_letter', t(0, 4000), 5),
        attempt('obs-c', 'failed', t(1, 1), 5),
      ]);
      const c = await store().attemptStats({ subscription_id: 'obs-c', since: t(0), until: t(2), bucket_ms: S });
      // the failure at the same instant as the success is not after it
      expect(c).toMatchObject({ attempts: 6, delivered: 1, failed: 5, last_success_at: t(0, 2000), consecutive_failures: 3 });
    });

    it('answers zeros for a range without attempts', async () => {
      await seed();
      expect(await store().attemptStats({ subscription_id: 'nobody', since: t(0), until: t(4), bucket_ms: 2 * S })).toEqual({
        attempts: 0,
        delivered: 0,
        failed: 0,
        success_rate: null,
        p50_ms: null,
        p95_ms: null,
        last_success_at: null,
        consecutive_failures: 0,
        series: emptySeries(0, 2, 2),
      });
      expect(await store().attemptStats({ subscription_id: 'obs-a', since: t(10), until: t(11), bucket_ms: S })).toMatchObject({ attempts: 0, consecutive_failures: 0 });
    });

    it('forgets purged slices', async () => {
      await seed();
      await store().purge(t(1));
      const a = await store().attemptStats({ subscription_id: 'obs-a', since: t(0), until: t(3), bucket_ms: S });
      expect(a).toMatchObject({ attempts: 10, delivered: 0, failed: 10, last_success_at: null, consecutive_failures: 10 });
      expect(a.series[0]).toEqual({ start: t(0), attempts: 0, failed: 0 });
    });
  });

  describe('recentFailureRun', () => {
    it('counts the failures after the last success since a time, and tells that success', async () => {
      await record([attempt('run', 'failed', t(0, 1), 5), attempt('run', 'delivered', t(0, 2), 5), attempt('run', 'failed', t(0, 3), 5), attempt('run', 'dead_letter', t(0, 4), 5)]);
      expect(await store().recentFailureRun('run', t(0))).toEqual({ failures: 2, last_success_at: t(0, 2) });
      expect(await store().countRecentFailures('run', t(0))).toBe(2);
      // a success before `since` does not start the run counted
      expect(await store().recentFailureRun('run', t(0, 3))).toEqual({ failures: 2, last_success_at: null });
      expect(await store().recentFailureRun('nobody', t(0))).toEqual({ failures: 0, last_success_at: null });
    });
  });

  describe('queueSnapshot', () => {
    it('counts pending deliveries and dead letters, and finds the oldest due delivery', async () => {
      expect(await store().queueSnapshot(t(5))).toEqual({ pending: 0, oldest_due_at: null, dead_letters: 0 });
      await ctx.enqueue(['q1', 'q2'], t(1, 500));
      await ctx.enqueue(['q3'], t(2));
      await ctx.enqueue(['q4'], t(9));
      // one leased (still pending and due), one dead-lettered
      const [leased, dead] = await store().claimDue({ worker_id: 'q-w', limit: 2, lease_ms: 60_000, now: t(3) });
      await store().complete([{ delivery_id: dead.delivery.delivery_id, worker_id: 'q-w', attempt: attempt('q2', 'dead_letter', t(3), 5), next: { status: 'dead_letter' } }]);
      expect(leased.delivery.next_attempt_at).toEqual(t(1, 500));
      expect(await store().queueSnapshot(t(5))).toEqual({ pending: 3, oldest_due_at: t(1, 500), dead_letters: 1 });
      expect(await store().queueSnapshot(t(1))).toEqual({ pending: 3, oldest_due_at: null, dead_letters: 1 });
    });
  });

  describe('attempt log filters', () => {
    it('filters by event type and by time (since inclusive, until exclusive)', async () => {
      const rows = [
        attempt('f1', 'delivered', t(0, 1), 5, { event_type: 'order.paid' }),
        attempt('f1', 'failed', t(0, 2), 5, { event_type: 'order.created' }),
        attempt('f2', 'delivered', t(0, 3), 5, { event_type: 'order.paid' }),
        attempt('f2', 'delivered', t(0, 4), 5, { event_type: 'order.paid' }),
      ];
      await record(rows);
      const ids = (list: DeliveryAttempt[]) => list.map((a) => a.attempt_id);
      expect(ids(await store().getAttempts({ event_type: 'order.paid' }))).toEqual(ids([rows[3], rows[2], rows[0]]));
      expect(ids(await store().getAttempts({ since: t(0, 2), until: t(0, 4) }))).toEqual(ids([rows[2], rows[1]]));
      expect(ids(await store().getAttempts({ subscription_id: 'f2', event_type: 'order.paid', since: t(0, 4) }))).toEqual(ids([rows[3]]));
      expect(await store().getAttempts({ event_type: 'order.none' })).toEqual([]);
    });
  });

  describe('trace context', () => {
    it('keeps the traceparent of an event, also in what a claim hands over', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const { event } = await ctx.enqueue(['tp1'], t(0), { traceparent });
      expect((await store().getEvent(event.event_id))!.traceparent).toBe(traceparent);
      const [claimed] = await store().claimDue({ worker_id: 'tp-w', limit: 1, lease_ms: 60_000, now: t(1) });
      expect(claimed.event.traceparent).toBe(traceparent);
      const { event: plain } = await ctx.enqueue(['tp2'], t(0));
      expect((await store().getEvent(plain.event_id))!.traceparent).toBeNull();
    });
  });
}
