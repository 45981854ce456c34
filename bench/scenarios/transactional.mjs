// Transactional dispatch on PostgreSQL: the event is written in the caller's own transaction and sent once it
// commits. Two figures, from the COMMIT returning to the receiver getting the request (CLOCK_MONOTONIC, shared by
// every process of the machine):
// - local: dispatch({ manager }) inside `dataSource.transaction()` at a fixed open-loop rate; this process sends
//   (its post-commit hook wakes its engine);
// - cross-replica: the dispatching process has no room (its one send slot is held by an endpoint that never
//   answers), so a second process, woken by NOTIFY on commit, sends.
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { BENCH_DIR, EVENT_TYPE, benchPayload, dropSchema, freshSchema, loadLibrary, nowMs, percentile, receiverFromEnv, require, runScenario, sleep, startApp } from '../lib/common.mjs';

runScenario(async ({ rate = 1000, seconds = 10, low_rate = 300, cross_rate = 200, cross_seconds = 5, drain_ms = 20_000, schema = 'webhook_bench_tx' }) => {
  const lib = loadLibrary();
  const receiver = receiverFromEnv();
  const { getDataSourceToken } = require('@nestjs/typeorm');
  await freshSchema(schema);
  // Local: this process dispatches and sends.
  let host = await startApp(lib, { store: 'postgres', schema, webhook: { max_concurrent_per_endpoint: 64 } });
  let local;
  let low;
  try {
    await host.subscriptions.create({ url: receiver.url, event_types: [EVENT_TYPE] });
    const ds = host.app.get(getDataSourceToken());
    local = await measure({ host, ds, receiver, rate, seconds, drain_ms, prefix: 'tx' });
    if (low_rate) low = await measure({ host, ds, receiver, rate: low_rate, seconds, drain_ms, prefix: 'tx-low' });
  } finally {
    await host.close();
  }
  // Cross-replica: a peer process sends what this one commits.
  const blackhole = createServer(() => undefined);
  await new Promise((r) => blackhole.listen(0, '127.0.0.1', r));
  const peer = fork(join(BENCH_DIR, 'scenarios/peer-app.mjs'), [JSON.stringify({ schema, webhook: { max_concurrent_per_endpoint: 64 } })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let cross;
  try {
    await new Promise((resolve, reject) => {
      peer.once('message', (m) => (m?.type === 'ready' ? resolve() : reject(new Error(`peer said ${JSON.stringify(m)}`))));
      peer.once('exit', (code) => reject(new Error(`peer exited with ${code}`)));
    });
    host = await startApp(lib, { store: 'postgres', schema, webhook: { max_concurrent_deliveries: 1, delivery_timeout_seconds: 120, lease_seconds: 240 } });
    try {
      // Take this process's only slot: an endpoint that accepts and never answers.
      await host.subscriptions.create({ url: `http://127.0.0.1:${blackhole.address().port}/never`, event_types: ['hold.it'] });
      await host.delivery.dispatch({ event_type: 'hold.it', payload: {} });
      await sleep(300);
      const ds = host.app.get(getDataSourceToken());
      cross = await measure({ host, ds, receiver, rate: cross_rate, seconds: cross_seconds, drain_ms, prefix: 'cross' });
    } finally {
      await host.close();
    }
  } finally {
    peer.send('exit');
    await new Promise((r) => (peer.exitCode !== null ? r() : peer.once('exit', r)));
    blackhole.close();
    await dropSchema(schema);
  }
  return { local, low, cross };
});

/** Open-loop transactional dispatches at `rate` for `seconds`; latency from each COMMIT to the receiver. */
async function measure({ host, ds, receiver, rate, seconds, drain_ms, prefix }) {
  // Warm-up (connections, JIT), then measure.
  for (let i = 0; i < 50; i++) await ds.transaction((manager) => host.delivery.dispatch({ event_id: `${prefix}-warm-${i}`, event_type: EVENT_TYPE, payload: benchPayload(i) }, { manager }));
  const warmDeadline = Date.now() + drain_ms;
  while (Date.now() < warmDeadline && (await receiver.stats()).count < 50) await sleep(20);
  await receiver.reset({ record: true });
  const committed = new Map();
  /** How long each caller's transaction took, from BEGIN to COMMIT returned (queueing for a connection included). */
  const durations = [];
  let errors = 0;
  let n = 0;
  let outstanding = 0;
  const start = nowMs();
  for (;;) {
    const elapsed = nowMs() - start;
    if (elapsed >= seconds * 1000) break;
    const due = Math.floor((elapsed / 1000) * rate) - n;
    for (let k = 0; k < due; k++) {
      const id = `${prefix}-${n}`;
      const i = n++;
      outstanding++;
      const begun = nowMs();
      ds.transaction(async (manager) => {
        await host.delivery.dispatch({ event_id: id, event_type: EVENT_TYPE, payload: benchPayload(i) }, { manager });
      })
        .then(() => {
          const t = nowMs();
          committed.set(id, t);
          durations.push(t - begun);
        })
        .catch(() => errors++)
        .finally(() => outstanding--);
    }
    await sleep(5);
  }
  const window = (nowMs() - start) / 1000;
  const deadline = Date.now() + drain_ms;
  while ((outstanding > 0 || (await receiver.stats()).count < n) && Date.now() < deadline) await sleep(20);
  const drainedAt = nowMs();
  const arrived = new Map();
  for (const [id, t] of await receiver.arrivals()) if (id && !arrived.has(id)) arrived.set(id, t);
  const latencies = [];
  let missing = 0;
  for (const [id, t] of committed) {
    const a = arrived.get(id);
    if (a === undefined) missing++;
    latencies.push(a === undefined ? drainedAt - t : Math.max(0, a - t));
  }
  latencies.sort((a, b) => a - b);
  durations.sort((a, b) => a - b);
  const r = (x) => +x.toFixed(2);
  return {
    transaction_p50_ms: r(percentile(durations, 50)),
    transaction_p99_ms: r(percentile(durations, 99)), target_rate: rate, achieved_rate: Math.round(n / window), sent: n, errors, undelivered_at_end: missing, p50_ms: r(percentile(latencies, 50)), p95_ms: r(percentile(latencies, 95)), p99_ms: r(percentile(latencies, 99)), max_ms: r(latencies[latencies.length - 1] ?? NaN) };
}
