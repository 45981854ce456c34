// History: the time to claim 100 due deliveries while PostgreSQL holds `size` past attempts (each of a
// finished delivery of its own event, as a real queue keeps until retention purges them). History rows are
// bulk-inserted with generate_series; the 100 due deliveries stay the same; between claims their leases are
// released. Each size: VACUUM ANALYZE (the steady state autovacuum keeps) and CHECKPOINT, five warm-up claims, then `repeats`
// timed claims through TypeOrmDeliveryStore.claimDue, median reported.
import { dropSchema, freshSchema, pgDataSourceOptions, loadInternal, loadLibrary, median, nowMs, require, runScenario } from '../lib/common.mjs';

runScenario(async ({ sizes = [1_000, 1_000_000], repeats = 7, due = 100, schema = 'webhook_bench_history' }) => {
  const lib = loadLibrary();
  const { DataSource } = require('typeorm');
  await freshSchema(schema);
  const ds = new DataSource(pgDataSourceOptions(lib, schema));
  await ds.initialize();
  const { TypeOrmDeliveryStore, WebhookDataSourceRef } = loadInternal('stores/typeorm/index.js');
  const store = new TypeOrmDeliveryStore(WebhookDataSourceRef.of(ds));
  const s = `"${schema}"`;
  const old = `((now() AT TIME ZONE 'UTC') - interval '2 days')`;
  const out = [];
  try {
    // The due work: `due` pending deliveries of `due` events over 10 subscriptions, due a second ago.
    await ds.query(`INSERT INTO ${s}.webhook_events (event_id, event_type, body, occurred_at, source, created_at)
      SELECT 'due-' || g, 'order.paid', json_build_object('text', '{"order":' || g || '}'), now() AT TIME ZONE 'UTC', NULL, now() AT TIME ZONE 'UTC' FROM generate_series(1, ${due}) g`);
    await ds.query(`INSERT INTO ${s}.webhook_deliveries (delivery_id, event_id, subscription_id, event_type, status, attempts, next_attempt_at, locked_until, locked_by, last_attempt_id, created_at, updated_at)
      SELECT 'dd-' || g, 'due-' || g, 'sub-' || (g % 10), 'order.paid', 'pending', 0, (now() AT TIME ZONE 'UTC') - interval '1 second', NULL, NULL, NULL, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' FROM generate_series(1, ${due}) g`);

    let have = 0;
    for (const size of [...sizes].sort((a, b) => a - b)) {
      const tInsert = nowMs();
      const from = have + 1;
      const to = size;
      if (to >= from) {
        await ds.query(`INSERT INTO ${s}.webhook_events (event_id, event_type, body, occurred_at, source, created_at)
          SELECT 'hist-' || g, 'order.paid', json_build_object('text', '{"event_id":"hist-' || g || '","payload":{"order_id":"ord_' || g || '","amount":4200}}'), ${old}, NULL, ${old} + g * interval '1 millisecond'
          FROM generate_series(${from}, ${to}) g`);
        await ds.query(`INSERT INTO ${s}.webhook_deliveries (delivery_id, event_id, subscription_id, event_type, status, attempts, next_attempt_at, locked_until, locked_by, last_attempt_id, created_at, updated_at)
          SELECT 'hd-' || g, 'hist-' || g, 'sub-' || (g % 100), 'order.paid', CASE WHEN g % 50 = 0 THEN 'dead_letter' ELSE 'delivered' END, 1, ${old} + g * interval '1 millisecond', NULL, NULL, 'ha-' || g, ${old}, ${old}
          FROM generate_series(${from}, ${to}) g`);
        await ds.query(`INSERT INTO ${s}.webhook_delivery_attempts (attempt_id, subscription_id, event_id, event_type, status, status_code, attempt_number, attempted_at, next_retry_at, error_message, duration_ms)
          SELECT 'ha-' || g, 'sub-' || (g % 100), 'hist-' || g, 'order.paid', CASE WHEN g % 50 = 0 THEN 'dead_letter' ELSE 'delivered' END, CASE WHEN g % 50 = 0 THEN 500 ELSE 200 END, 1, ${old} + g * interval '1 millisecond', NULL, CASE WHEN g % 50 = 0 THEN 'HTTP 500' ELSE NULL END, 5
          FROM generate_series(${from}, ${to}) g`);
        have = size;
      }
      await ds.query(`VACUUM ANALYZE ${s}.webhook_events, ${s}.webhook_deliveries, ${s}.webhook_delivery_attempts`);
      // Write the bulk load's dirty pages out now, so the timed claims do not share the disk with a checkpoint.
      await ds.query('CHECKPOINT').catch(() => undefined);
      const insertMs = nowMs() - tInsert;

      const release = () => ds.query(`UPDATE ${s}.webhook_deliveries SET locked_by = NULL, locked_until = NULL WHERE delivery_id LIKE 'dd-%'`);
      const claim = async () => {
        await release();
        const t = nowMs();
        const got = await store.claimDue({ worker_id: 'bench-worker', limit: due, lease_ms: 60_000, now: new Date(), per_subscription_limit: 64 });
        const ms = nowMs() - t;
        if (got.length !== due) throw new Error(`claimDue returned ${got.length} of ${due} due deliveries with ${size} past attempts`);
        return ms;
      };
      for (let i = 0; i < 5; i++) await claim();
      const times = [];
      for (let i = 0; i < repeats; i++) times.push(await claim());
      const explain = await explainClaim(ds, store, due, release);
      const [{ count: attempts }] = await ds.query(`SELECT count(*)::int AS count FROM ${s}.webhook_delivery_attempts`);
      const [{ count: deliveries }] = await ds.query(`SELECT count(*)::int AS count FROM ${s}.webhook_deliveries`);
      out.push({ history: size, attempts_rows: attempts, delivery_rows: deliveries, repeats, median_ms: +median(times).toFixed(2), min_ms: +Math.min(...times).toFixed(2), max_ms: +Math.max(...times).toFixed(2), insert_ms: Math.round(insertMs), explain });
    }
    const first = out[0].explain;
    const last = out[out.length - 1].explain;
    return {
      sizes: out,
      ratio: +(out[out.length - 1].median_ms / out[0].median_ms).toFixed(2),
      // Pages the claim touched: machine-independent, unlike its time.
      buffers_ratio: first?.buffers && last?.buffers ? +(last.buffers / first.buffers).toFixed(2) : null,
    };
  } finally {
    await ds.destroy();
    await dropSchema(schema);
  }
});

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the statement claimDue sends that locks rows (captured from one claim, then
 * replayed inside a rolled-back transaction): how many buffer pages it touched and its server-side time.
 */
async function explainClaim(ds, store, due, release) {
  const seen = [];
  const original = ds.query.bind(ds);
  ds.query = (sql, params, ...rest) => {
    seen.push([sql, params]);
    return original(sql, params, ...rest);
  };
  try {
    await release();
    await store.claimDue({ worker_id: 'bench-worker', limit: due, lease_ms: 60_000, now: new Date(), per_subscription_limit: 64 });
  } finally {
    ds.query = original;
  }
  const target = seen.find(([sql]) => /FOR UPDATE/i.test(sql));
  if (!target) return { note: 'claim statement not captured (not sent through DataSource.query)' };
  await release();
  const runner = ds.createQueryRunner();
  try {
    await runner.startTransaction();
    const [row] = await runner.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${target[0]}`, target[1]);
    const plan = (row['QUERY PLAN'] ?? Object.values(row)[0])[0];
    const root = plan.Plan;
    return {
      buffers: (root['Shared Hit Blocks'] ?? 0) + (root['Shared Read Blocks'] ?? 0),
      execution_ms: +Number(plan['Execution Time']).toFixed(2),
      rows: root['Actual Rows'],
    };
  } finally {
    await runner.rollbackTransaction().catch(() => undefined);
    await runner.release();
  }
}
