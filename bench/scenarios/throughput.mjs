// Our end-to-end rate: dispatch() `count` events (each to one subscription on the receiver) from `producers`
// concurrent callers, until the last delivery is signed, sent, logged and stored. Time runs from the first
// dispatch() to the last `delivered` outcome (emitted after the attempt is stored).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  EVENT_TYPE,
  benchPayload,
  checkSignature,
  dropSchema,
  freshSchema,
  loadLibrary,
  nowMs,
  outcomeCounter,
  receiverFromEnv,
  runPool,
  runScenario,
  startProfile,
  countPgQueries,
  storeCounters,
  startApp,
} from '../lib/common.mjs';

// `signature_type: 'ed25519'` signs with an ed25519 subscription instead (checked with its whpk_ public key).
runScenario(async ({ store = 'memory', count = 5_000, warmup = 1_000, producers = 16, per_endpoint = 8, concurrency = 64, schema = 'webhook_bench', timeout_ms = 120_000, signature_type = 'hmac-sha256' }) => {
  const lib = loadLibrary();
  const receiver = receiverFromEnv();
  let sqliteDir = null;
  if (store === 'postgres') await freshSchema(schema);
  const pgCount = store === 'postgres' ? countPgQueries() : null;
  if (store === 'sqlite') sqliteDir = mkdtempSync(join(tmpdir(), 'webhook-bench-'));
  const host = await startApp(lib, {
    store,
    schema,
    sqliteFile: sqliteDir && join(sqliteDir, 'bench.sqlite'),
    webhook: { max_concurrent_deliveries: concurrency, max_concurrent_per_endpoint: per_endpoint },
  });
  const counter = outcomeCounter(host.delivery);
  const calls = storeCounters(lib, host.app);
  try {
    const sub = await host.subscriptions.create({ url: receiver.url, event_types: [EVENT_TYPE], signature_type });
    const dispatchN = (n, offset) => runPool(n, producers, (i) => host.delivery.dispatch({ event_type: EVENT_TYPE, payload: benchPayload(offset + i) }));

    // Warm-up: JIT, connection pools, first pages of the tables.
    await dispatchN(warmup, 0);
    await counter.waitFor(warmup, timeout_ms);
    await receiver.reset();
    counter.reset();
    calls.reset();
    const q0 = pgCount?.count ?? 0;

    const profile = await startProfile(`ours-${store}-pe${per_endpoint}${signature_type === 'ed25519' ? '-ed25519' : ''}`);
    const cpu0 = process.cpuUsage();
    const t0 = nowMs();
    await dispatchN(count, warmup);
    const tDispatched = nowMs();
    const tDone = await counter.waitFor(count, timeout_ms);
    const cpu = process.cpuUsage(cpu0);
    const queries = pgCount ? pgCount.count - q0 : null;
    const storeCalls = calls.snapshot();
    await profile.stop();
    const elapsed = tDone - t0;
    const stats = await receiver.waitForCount(count, 10_000);
    return {
      store,
      signature_type,
      ...(host.sqlite ? { sqlite: host.sqlite } : {}),
      count,
      producers,
      max_concurrent_deliveries: concurrency,
      max_concurrent_per_endpoint: per_endpoint,
      elapsed_ms: +elapsed.toFixed(1),
      per_second: Math.round(count / (elapsed / 1000)),
      dispatch_per_second: Math.round(count / ((tDispatched - t0) / 1000)),
      failed_attempts: counter.failed,
      receiver_count: stats.count,
      receiver_max_connections: stats.max_connections,
      process_cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
      cpu_us_per_delivery: Math.round((cpu.user + cpu.system) / count),
      signature: await checkSignature(lib, receiver, sub.public_key ?? sub.secret),
      sql_round_trips_per_delivery: queries === null ? null : +(queries / count).toFixed(2),
      rows_per_claim: storeCalls['delivery.claimDue'] ? +(storeCalls['delivery.claimDue.rows'] / storeCalls['delivery.claimDue']).toFixed(2) : null,
      store_calls: storeCalls,
    };
  } finally {
    counter.stop();
    await host.close();
    if (store === 'postgres') await dropSchema(schema);
    if (sqliteDir) rmSync(sqliteDir, { recursive: true, force: true });
  }
});
