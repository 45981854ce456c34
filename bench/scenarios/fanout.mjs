// Fan-out: one event to `subscriptions` matching subscriptions. "Persisted" is dispatch() returning (the event
// and its deliveries are committed); "all delivered" is the last `delivered` outcome (quick mode stops
// waiting after deliver_timeout_ms and reports the rate so far).
import { EVENT_TYPE, benchPayload, dropSchema, freshSchema, loadLibrary, nowMs, pgAdmin, outcomeCounter, receiverFromEnv, rssSampler, runPool, runScenario, sleep, startApp, startProfile, subscriptionCacheOf } from '../lib/common.mjs';

runScenario(async ({ store = 'postgres', subscriptions = 10_000, per_endpoint = 8, deliver_timeout_ms = 150_000, schema = 'webhook_bench_fanout' }) => {
  const lib = loadLibrary();
  const receiver = receiverFromEnv();
  const tSetup = nowMs();
  let host;
  // Every subscription is its own endpoint (own path) on the receiver; 100 others do not match. On PostgreSQL
  // they are bulk-inserted by SQL before the measured app starts (setup only), which loads them.
  if (store === 'postgres') {
    await freshSchema(schema);
    await (await startApp(lib, { store, schema })).close();
    const secret = `'whsec_' || encode(decode(md5(g::text) || md5((g + 7)::text), 'hex'), 'base64')`;
    const row = (types, path) => `SELECT 'fan-' || g, '${receiver.url}/${path}' || g, ${secret}, '${JSON.stringify(types)}', true, NULL, NULL, (now() AT TIME ZONE 'UTC') + g * interval '1 microsecond', '{}', NULL, NULL, NULL`;
    const cols = '(subscription_id, url, secret, event_types, active, description, tenant_id, created_at, metadata, previous_secret, previous_secret_expires_at, disabled_reason)';
    await pgAdmin([
      `INSERT INTO "${schema}".webhook_subscriptions ${cols} ${row([EVENT_TYPE, 'order.refunded'], '')} FROM generate_series(1, ${subscriptions}) g`,
      `INSERT INTO "${schema}".webhook_subscriptions ${cols} ${row(['invoice.created'], 'other-').replace("'fan-'", "'other-'")} FROM generate_series(1, 100) g`,
      `ANALYZE "${schema}".webhook_subscriptions`,
    ]);
    host = await startApp(lib, { store, schema, webhook: { max_concurrent_per_endpoint: per_endpoint } });
    const cache = subscriptionCacheOf(host.app);
    while (!cache.snapshot?.ready) await sleep(20);
  } else {
    host = await startApp(lib, { store, schema, webhook: { max_concurrent_per_endpoint: per_endpoint } });
    await runPool(subscriptions, 32, (i) => host.subscriptions.create({ url: `${receiver.url}/${i}`, event_types: [EVENT_TYPE, 'order.refunded'] }));
    await runPool(100, 8, (i) => host.subscriptions.create({ url: `${receiver.url}/other-${i}`, event_types: ['invoice.created'] }));
  }
  const counter = outcomeCounter(host.delivery);
  try {
    const setupMs = nowMs() - tSetup;
    // Warm-up dispatch of an event nobody receives (code paths and pools warm, nothing sent).
    await host.delivery.dispatch({ event_type: 'user.created', payload: {} });
    await receiver.reset();

    // Where dispatch() spends its time: matching subscriptions (list pages) versus writing (enqueue).
    const timing = { list_calls: 0, list_ms: 0, enqueue_ms: 0 };
    const subStore = host.app.get(lib.WEBHOOK_SUBSCRIPTION_STORE);
    const delStore = host.app.get(lib.WEBHOOK_DELIVERY_STORE);
    const list = subStore.list.bind(subStore);
    const enqueue = delStore.enqueue.bind(delStore);
    subStore.list = async (...a) => {
      const t = nowMs();
      try {
        return await list(...a);
      } finally {
        timing.list_calls++;
        timing.list_ms += nowMs() - t;
      }
    };
    delStore.enqueue = async (...a) => {
      const t = nowMs();
      try {
        return await enqueue(...a);
      } finally {
        timing.enqueue_ms += nowMs() - t;
      }
    };
    let profile = await startProfile(`fanout-${store}-persist`);
    const t0 = nowMs();
    const result = await host.delivery.dispatch({ event_type: EVENT_TYPE, payload: benchPayload(1) });
    const tPersisted = nowMs();
    await profile.stop();
    subStore.list = list;
    delStore.enqueue = enqueue;
    profile = await startProfile(`fanout-${store}-deliver`);
    const rss = rssSampler(50);
    let tDone = null;
    let partial = null;
    try {
      tDone = await counter.waitFor(subscriptions, deliver_timeout_ms);
    } catch {
      partial = { delivered: counter.delivered, within_ms: deliver_timeout_ms };
    }
    const { peak_rss_mb } = rss.stop();
    await profile.stop();
    const stats = partial ? await receiver.stats() : await receiver.waitForCount(subscriptions, 10_000);
    const deliveredMs = tDone === null ? null : tDone - t0;
    return {
      store,
      subscriptions,
      delivery_count: result.delivery_count,
      setup_ms: Math.round(setupMs),
      persist_ms: +(tPersisted - t0).toFixed(1),
      persist_breakdown: { list_calls: timing.list_calls, list_ms: Math.round(timing.list_ms), enqueue_ms: Math.round(timing.enqueue_ms) },
      all_delivered_ms: deliveredMs === null ? null : Math.round(deliveredMs),
      delivered_per_second: partial ? Math.round(partial.delivered / (deliver_timeout_ms / 1000)) : Math.round(subscriptions / ((tDone - tPersisted) / 1000)),
      partial,
      failed_attempts: counter.failed,
      peak_rss_mb,
      receiver_count: stats.count,
    };
  } finally {
    counter.stop();
    const tc = nowMs();
    await host.close();
    const td = nowMs();
    if (store === 'postgres') await dropSchema(schema);
    if (process.env.BENCH_DEBUG) console.error(`fanout: close ${Math.round(td - tc)} ms, drop ${Math.round(nowMs() - td)} ms`);
  }
});
