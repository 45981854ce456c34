// Stats: the time of the endpoint-health queries and of the dashboard's list queries while PostgreSQL holds
// `attempts` past attempts (all within the last 24 hours: the worst case for a 24h window) of `subscriptions`
// subscriptions. Attempts and their stats rows are inserted by SQL (the stats rows summed from the attempts exactly as
// the stores write them: 5-minute slices, duration classes by width_bucket over DURATION_CLASS_BOUNDS_MS). 30% of the
// attempts go to one busy endpoint, the rest spread over 1,000; 3% fail, 0.5% are dead letters; one event type in a
// thousand is rare. After VACUUM ANALYZE, each query runs `repeats` times through the built library (the store and
// the subscription store, as the admin routes call them); p50 and p95 are reported per query.
import { dropSchema, freshSchema, loadInternal, loadLibrary, median, nowMs, percentile, pgDataSourceOptions, require, runScenario } from '../lib/common.mjs';

runScenario(async ({ attempts = 1_000_000, subscriptions = 10_000, repeats = 30, schema = 'webhook_bench_stats' }) => {
  const lib = loadLibrary();
  const { DataSource } = require('typeorm');
  await freshSchema(schema);
  const ds = new DataSource(pgDataSourceOptions(lib, schema));
  await ds.initialize();
  const { TypeOrmDeliveryStore, TypeOrmSubscriptionStore, WebhookDataSourceRef } = loadInternal('stores/typeorm/index.js');
  const ref = WebhookDataSourceRef.of(ds);
  const store = new TypeOrmDeliveryStore(ref);
  const subs = new TypeOrmSubscriptionStore(ref);
  const s = `"${schema}"`;
  const now = `(now() AT TIME ZONE 'UTC')`;
  try {
    const t0 = nowMs();
    await ds.query(`INSERT INTO ${s}.webhook_subscriptions (subscription_id, url, secret, event_types, active, description, tenant_id, created_at, metadata, previous_secret, previous_secret_expires_at, disabled_reason)
      SELECT 'sub-' || g, 'https://hooks.example.com/' || g, 'whsec_x', NULL, g % 50 <> 0, 'endpoint ' || g, NULL, ${now} - g * interval '1 second', '{}', NULL, NULL, CASE WHEN g % 50 = 0 THEN 'receiver answered 410 Gone' END
      FROM generate_series(0, ${subscriptions - 1}) g`);
    // attempt g: sub-0 for 30%, else one of 1,000; spread over the last 24 h; durations 5..~800 ms, skewed low
    await ds.query(`INSERT INTO ${s}.webhook_delivery_attempts (attempt_id, subscription_id, event_id, event_type, status, status_code, attempt_number, attempted_at, next_retry_at, error_message, duration_ms)
      SELECT 'att-' || g,
        CASE WHEN g % 10 < 3 THEN 'sub-0' ELSE 'sub-' || (1 + (g::bigint * 7919) % 1000) END,
        'evt-' || g,
        CASE WHEN g % 1000 = 7 THEN 'order.refunded' ELSE 'order.' || (ARRAY['paid','created','shipped','cancelled','updated'])[1 + g % 5] END,
        CASE WHEN g % 200 = 3 THEN 'dead_letter' WHEN g % 100 < 3 THEN 'failed' ELSE 'delivered' END,
        CASE WHEN g % 100 < 3 OR g % 200 = 3 THEN 500 ELSE 200 END,
        1 + g % 3,
        ${now} - ((g * 86399.0 / ${attempts}) * interval '1 second'),
        NULL,
        CASE WHEN g % 100 < 3 OR g % 200 = 3 THEN 'HTTP 500: upstream error' END,
        5 + floor(power((g * 2654435761::bigint % 1000) / 1000.0, 3) * 800)::int
      FROM generate_series(1, ${attempts}) g`);
    const bounds = `ARRAY[${loadInternal('domain/stats.js').DURATION_CLASS_BOUNDS_MS.join(',')}]`;
    const rollup = (key) => `INSERT INTO ${s}.webhook_attempt_stats (subscription_id, slice_start, duration_class, attempts, delivered, failed)
      SELECT ${key}, date_bin('5 minutes', attempted_at, TIMESTAMP '1970-01-01'), width_bucket(duration_ms, ${bounds}), count(*), count(*) FILTER (WHERE status = 'delivered'), count(*) FILTER (WHERE status <> 'delivered')
      FROM ${s}.webhook_delivery_attempts WHERE status <> 'cancelled' GROUP BY 1, 2, 3`;
    await ds.query(rollup('subscription_id'));
    await ds.query(rollup(`'*'`));
    await ds.query(`VACUUM ANALYZE ${s}.webhook_subscriptions, ${s}.webhook_delivery_attempts, ${s}.webhook_attempt_stats`);
    await ds.query('CHECKPOINT').catch(() => undefined);
    const insertMs = nowMs() - t0;
    const [{ n: statsRows }] = await ds.query(`SELECT count(*)::int AS n FROM ${s}.webhook_attempt_stats`);

    const day = 86_400_000;
    const window = (ms, bucket) => {
      const end = Math.ceil(Date.now() / bucket) * bucket;
      return { since: new Date(end - ms), until: new Date(end), bucket_ms: bucket };
    };
    const queries = {
      'stats: all endpoints, 24h (hourly series)': () => store.attemptStats(window(day, 3_600_000)),
      'stats: the busy endpoint (30% of attempts), 24h': () => store.attemptStats({ ...window(day, 3_600_000), subscription_id: 'sub-0' }),
      'stats: one of 1,000 endpoints, 24h': () => store.attemptStats({ ...window(day, 3_600_000), subscription_id: 'sub-500' }),
      'stats: all endpoints, 7d (6-hour series)': () => store.attemptStats(window(7 * day, 6 * 3_600_000)),
      'stats: all endpoints, 1h (5-minute series)': () => store.attemptStats(window(3_600_000, 300_000)),
      'queue snapshot (gauges, health)': () => store.queueSnapshot(new Date()),
      'dashboard: subscriptions page 1 (25)': () => subs.list({ active_only: false, limit: 26, offset: 0 }),
      'dashboard: subscriptions page 200 (25)': () => subs.list({ active_only: false, limit: 26, offset: 5000 }),
      'dashboard: disabled subscriptions (25)': () => subs.list({ active: false, limit: 26 }),
      'dashboard: attempts page 1 (25)': () => store.getAttempts({ limit: 26 }),
      'dashboard: attempts of the busy endpoint, failed only': () => store.getAttempts({ subscription_id: 'sub-0', status: 'failed', limit: 26 }),
      'dashboard: attempts, dead letters only': () => store.getAttempts({ status: 'dead_letter', limit: 26 }),
      'dashboard: attempts, cancelled only (none stored)': () => store.getAttempts({ status: 'cancelled', limit: 26 }),
      'dashboard: attempts of a rare event type (1 in 1,000)': () => store.getAttempts({ event_type: 'order.refunded', limit: 26 }),
      'dashboard: attempts of an event type never sent': () => store.getAttempts({ event_type: 'order.never', limit: 26 }),
      'dashboard: attempts in one hour, 12 h ago': () => store.getAttempts({ since: new Date(Date.now() - 13 * 3_600_000), until: new Date(Date.now() - 12 * 3_600_000), limit: 26 }),
      'dashboard: dead-letter list (25)': () => store.getDeadLetters({ limit: 26 }),
    };
    const results = [];
    for (const [name, run] of Object.entries(queries)) {
      for (let i = 0; i < 3; i++) await run();
      const times = [];
      for (let i = 0; i < repeats; i++) {
        const t = nowMs();
        await run();
        times.push(nowMs() - t);
      }
      times.sort((a, b) => a - b);
      results.push({ query: name, p50_ms: +median(times).toFixed(2), p95_ms: +percentile(times, 95).toFixed(2), max_ms: +times[times.length - 1].toFixed(2) });
    }
    const check = await store.attemptStats(window(day, 3_600_000));
    return {
      attempts,
      subscriptions,
      stats_rows: statsRows,
      insert_ms: Math.round(insertMs),
      repeats,
      check: { attempts: check.attempts, failed: check.failed, p50_ms: check.p50_ms, p95_ms: check.p95_ms },
      queries: results,
      stats_p95_max_ms: Math.max(...results.filter((r) => r.query.startsWith('stats')).map((r) => r.p95_ms)),
      dashboard_p95_max_ms: Math.max(...results.filter((r) => r.query.startsWith('dashboard')).map((r) => r.p95_ms)),
    };
  } finally {
    await ds.destroy();
    await dropSchema(schema);
  }
});
