// Memory: peak RSS of the process running the module while `pending` deliveries wait for a slow endpoint
// (the receiver answers each request after `delay_ms`). RSS is sampled every 100 ms from before the first
// dispatch() until `settle_ms` after the last one. On PostgreSQL, RSS should not depend on how much is pending
// (the worker holds only what it claimed), and dispatch() there is slow, so `pending - dispatched` of the
// deliveries are inserted by SQL before sampling starts and `dispatched` go through dispatch() while sampled.
import { EVENT_TYPE, benchPayload, dropSchema, freshSchema, loadLibrary, nowMs, pgAdmin, receiverFromEnv, rssSampler, runPool, runScenario, sleep, startApp, startProfile } from '../lib/common.mjs';

runScenario(async ({ store = 'memory', pending = 100_000, dispatched = pending, delay_ms = 1000, producers = 16, settle_ms = 3000, schema = 'webhook_bench_memory' }) => {
  const lib = loadLibrary();
  const receiver = receiverFromEnv();
  await receiver.reset({ delay_ms });
  if (store === 'postgres') await freshSchema(schema);
  const host = await startApp(lib, { store, schema });
  let delivered = 0;
  const sub = host.delivery.outcomes$.subscribe((o) => {
    if (o.type === 'delivered') delivered++;
  });
  try {
    const subscription = await host.subscriptions.create({ url: receiver.url, event_types: [EVENT_TYPE] });
    const preseeded = store === 'postgres' ? pending - dispatched : 0;
    if (preseeded > 0) {
      const now = `(now() AT TIME ZONE 'UTC')`;
      await pgAdmin([
        `INSERT INTO "${schema}".webhook_events (event_id, event_type, body, occurred_at, source, created_at)
         SELECT 'pre-' || g, '${EVENT_TYPE}', json_build_object('text', '{"event_id":"pre-' || g || '","payload":{"order_id":"ord_' || g || '"}}'), ${now}, NULL, ${now} FROM generate_series(1, ${preseeded}) g`,
        `INSERT INTO "${schema}".webhook_deliveries (delivery_id, event_id, subscription_id, event_type, status, attempts, next_attempt_at, locked_until, locked_by, last_attempt_id, created_at, updated_at)
         SELECT 'pre-d-' || g, 'pre-' || g, '${subscription.subscription_id}', '${EVENT_TYPE}', 'pending', 0, ${now}, NULL, NULL, NULL, ${now}, ${now} FROM generate_series(1, ${preseeded}) g`,
      ]);
    }
    global.gc?.();
    const baseline = process.memoryUsage().rss;
    const baselineHeap = process.memoryUsage().heapUsed;
    const sampler = rssSampler(100);
    const profile = await startProfile(`memory-${store}`);
    const t0 = nowMs();
    await runPool(store === 'postgres' ? dispatched : pending, producers, (i) => host.delivery.dispatch({ event_type: EVENT_TYPE, payload: benchPayload(i) }));
    const dispatchMs = nowMs() - t0;
    await sleep(settle_ms);
    const { peak_rss_mb, samples } = sampler.stop();
    await profile.stop();
    const stats = await receiver.stats();
    const heap = process.memoryUsage();
    // What is really held (garbage collected): the pending work itself, not the GC's headroom.
    global.gc?.();
    const live = process.memoryUsage();
    return {
      store,
      pending,
      preseeded,
      delay_ms,
      dispatch_ms: Math.round(dispatchMs),
      baseline_rss_mb: +(baseline / 2 ** 20).toFixed(1),
      peak_rss_mb,
      end_heap_used_mb: +(heap.heapUsed / 2 ** 20).toFixed(1),
      live_heap_after_gc_mb: global.gc ? +(live.heapUsed / 2 ** 20).toFixed(1) : null,
      rss_after_gc_mb: global.gc ? +(live.rss / 2 ** 20).toFixed(1) : null,
      live_bytes_per_pending: global.gc && store === 'memory' ? Math.round((live.heapUsed - baselineHeap) / pending) : null,
      samples,
      delivered_meanwhile: delivered,
      receiver_in_flight: stats.in_flight,
    };
  } finally {
    sub.unsubscribe();
    await host.close();
    if (store === 'postgres') await dropSchema(schema);
  }
});
