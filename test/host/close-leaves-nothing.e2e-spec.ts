import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { WebhookDeliveryService, WebhookSubscriptionService } from '../../lib';
import { startOnStore } from '../support/app';
import { describeIfDatabase, type DatabaseKind } from '../support/databases';
import { TestReceiver, waitFor } from '../support/receiver';

/**
 * `app.close()` in the middle of a burst of deliveries to a real receiver leaves nothing of the module running:
 * no timer (cron jobs, retry timers, the subscription cache's poll, send timeouts), no socket (the transport's
 * keep-alive connections, PostgreSQL's LISTEN connection), no connection. Measured with
 * `process.getActiveResourcesInfo()`: what is active after the module and its database are closed is what was
 * active before they were started (the receiver, Jest's own). And Jest exits by itself after this file.
 */

/** How many resources of each kind (`Timeout`, `TCPSocketWrap`, ...) are active now. */
function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

/** Kinds whose count is above `baseline`, with their excess. */
function above(baseline: Record<string, number>, now: Record<string, number>): Record<string, number> {
  const excess: Record<string, number> = {};
  for (const [kind, n] of Object.entries(now)) if (n > (baseline[kind] ?? 0)) excess[kind] = n - (baseline[kind] ?? 0);
  return excess;
}

/** The receiver answers each request 30 ms later: with 8 sends at once, a burst of 200 keeps sends in flight. */
const SLOW_OK_MS = 30;

function closesCleanly(kind: 'memory' | DatabaseKind): void {
  let receiver: TestReceiver;
  const pending = new Set<NodeJS.Timeout>();

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/burst', (_req, res) => {
      const timer = setTimeout(() => {
        pending.delete(timer);
        res.end('ok');
      }, SLOW_OK_MS);
      pending.add(timer);
    });
  });
  afterAll(async () => {
    for (const timer of pending) clearTimeout(timer);
    await receiver.close();
  });

  it.each([
    ['sends in flight are aborted after shutdown_timeout_seconds', 0.01],
    ['sends in flight finish within shutdown_timeout_seconds', 5],
  ])('app.close() mid-burst leaves no timer, socket or connection (%s)', async (_what, shutdownTimeout) => {
    const baseline = activeResources();
    const app = await startOnStore(
      kind,
      { shutdown_timeout_seconds: shutdownTimeout, max_concurrent_per_endpoint: 8, retry_max_attempts: 10 },
      { namespace: `webhook_close_${kind}` },
    );
    let closed = false;
    try {
      const subscriptions = app.module.get(WebhookSubscriptionService);
      const delivery = app.module.get(WebhookDeliveryService);
      await subscriptions.create({ url: receiver.url('/burst') });
      const already = receiver.received('/burst').length;
      await delivery.dispatchMany(Array.from({ length: 200 }, (_, i) => ({ event_type: 'burst', payload: { i } })));
      await waitFor(() => receiver.received('/burst').length - already >= 20, 'the burst to be under way');
      // The measure sees what runs: mid-burst there are connections to the receiver and timers beyond the baseline.
      const during = above(baseline, activeResources());
      expect(during.TCPSocketWrap ?? 0).toBeGreaterThan(0);
      expect(during.Timeout ?? 0).toBeGreaterThan(0);

      closed = true;
      await app.close();
    } finally {
      if (!closed) await app.close();
    }
    // The receiver's side of a closed connection goes once the FIN arrives, and its own 30 ms answers end: wait for
    // those (the receiver's, not the module's), then nothing may be left above the baseline.
    const left = await waitFor(
      () => {
        const excess = above(baseline, activeResources());
        return Object.keys(excess).length === 0 ? excess : null;
      },
      'every timer, socket and connection of the module to be gone',
      5000,
    ).catch(() => above(baseline, activeResources()));
    expect(left).toEqual({});
  });
}

describe('app.close() during a burst (memory store)', () => closesCleanly('memory'));
describeIfDatabase('sqlite', 'app.close() during a burst (SQLite)', () => closesCleanly('sqlite'));
describeIfDatabase('postgres', 'app.close() during a burst (PostgreSQL, with its LISTEN connection)', () => closesCleanly('postgres'));
