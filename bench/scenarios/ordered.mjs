// Ordered lanes against unordered delivery, in one process on one endpoint: `keys` ordering keys x `per_key`
// events, to a receiver that answers after `delay_ms`, with `max_concurrent_per_endpoint` = `per_endpoint`. The
// endpoint's concurrency is then the bound (per_endpoint / delay_ms requests per second): the question is whether
// lanes keep it (they must not serialize unrelated keys). Events are dispatched key by key in rounds (every key's
// event n, then every key's event n + 1), each round concurrently; time runs from the first dispatch to the last
// `delivered` outcome.
import { dropSchema, freshSchema, loadLibrary, nowMs, outcomeCounter, receiverFromEnv, runPool, runScenario, startApp } from '../lib/common.mjs';

runScenario(async ({ store = 'memory', keys = 1000, per_key = 10, per_endpoint = 16, delay_ms = 20, producers = 64, schema = 'webhook_bench_ordered', timeout_ms = 300_000 }) => {
  const lib = loadLibrary();
  const receiver = receiverFromEnv();
  if (store === 'postgres') await freshSchema(schema);
  const host = await startApp(lib, { store, schema, webhook: { max_concurrent_deliveries: 256, max_concurrent_per_endpoint: per_endpoint } });
  const counter = outcomeCounter(host.delivery);
  const count = keys * per_key;
  try {
    await host.subscriptions.create({ url: receiver.url, event_types: ['bench.unordered'] });
    await host.subscriptions.create({ url: receiver.url, event_types: ['bench.ordered'], ordered: true });
    const run = async (eventType) => {
      await receiver.reset({ delay_ms });
      counter.reset();
      const t0 = nowMs();
      for (let n = 0; n < per_key; n++) {
        await runPool(keys, producers, (k) => host.delivery.dispatch({ event_type: eventType, ordering_key: `key-${k}`, payload: { key: k, n } }));
      }
      const tDone = await counter.waitFor(count, timeout_ms);
      const stats = await receiver.stats();
      return { per_second: Math.round(count / ((tDone - t0) / 1000)), receiver_max_in_flight: stats.max_in_flight, failed_attempts: counter.failed };
    };
    // Warm-up (JIT, pools), then each mode once.
    await run('bench.unordered');
    const unordered = await run('bench.unordered');
    const ordered = await run('bench.ordered');
    return {
      store,
      keys,
      per_key,
      count,
      per_endpoint,
      delay_ms,
      bound_per_second: Math.round(per_endpoint / (delay_ms / 1000)),
      unordered,
      ordered,
      ordered_vs_unordered: +(ordered.per_second / unordered.per_second).toFixed(2),
    };
  } finally {
    counter.stop();
    await host.close();
    if (store === 'postgres') await dropSchema(schema);
  }
});
