// The process that created the subscriptions against a fresh replica, PostgreSQL (issue 22): `subscriptions` of
// them (10 per tenant) created through `WebhookSubscriptionService.createMany`, `batch` per call, as an app's import
// job would; then, after collections until RSS stops falling (settledMemory; the figures after the first one are
// reported too),
// - the RSS of this (creating) process, whose index grew by one local write per subscription;
// - the RSS of a fresh replica (a second process on the same schema that loaded them all at start-up);
// - dispatch latency here: `events` tenant-scoped events one after another (each matches its tenant's 10).
// `heap_snapshot: true` also writes a V8 heap snapshot of each process to bench/results/profiles/.
import { fork } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import { BENCH_DIR, dropSchema, freshSchema, loadLibrary, nowMs, percentile, receiverFromEnv, runScenario, settledMemory, sleep, startApp, startProfile, subscriptionCacheOf } from '../lib/common.mjs';

const PER_TENANT = 10;

runScenario(async ({ subscriptions = 100_000, batch = 1000, events = 2000, schema = 'webhook_bench_create', heap_snapshot = false }) => {
  const lib = loadLibrary();
  const receiver = receiverFromEnv();
  const tenants = Math.max(1, Math.floor(subscriptions / PER_TENANT));
  await freshSchema(schema);
  const host = await startApp(lib, { store: 'postgres', schema });
  let replica = null;
  try {
    const cache = subscriptionCacheOf(host.app);
    while (!cache.snapshot?.ready) await sleep(20);
    const tCreate = nowMs();
    for (let from = 0; from < subscriptions; from += batch) {
      const inputs = [];
      for (let g = from; g < Math.min(from + batch, subscriptions); g++) inputs.push({ url: `${receiver.url}/${g % 100}`, event_types: ['order.*'], tenant_id: `t${Math.floor(g / PER_TENANT)}` });
      await host.subscriptions.createMany(inputs);
    }
    const createMs = nowMs() - tCreate;
    // Let the change log catch up (every write comes back through it), as it would before anyone looks.
    await cache.snapshot.refresh();
    await sleep(2000);
    await cache.snapshot.refresh();
    const creating = await settledMemory();
    const indexed = cache.snapshot.size;
    if (heap_snapshot) snapshot('creating');

    replica = fork(join(BENCH_DIR, 'scenarios/peer-app.mjs'), [JSON.stringify({ schema })], { execArgv: ['--expose-gc', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const tLoad = nowMs();
    await reply(replica, 'ready', null);
    const loadMs = nowMs() - tLoad;
    const fresh = await reply(replica, 'rss', { cmd: 'rss' });
    if (heap_snapshot) await reply(replica, 'snapshot', { cmd: 'snapshot' }).catch(() => undefined);

    // Dispatch from the creating process.
    for (let i = 0; i < 200; i++) await host.delivery.dispatch({ event_type: 'order.paid', tenant_id: `t${(i * 7919) % tenants}`, payload: { i } });
    const latencies = [];
    let matched = 0;
    const profile = await startProfile('scale-create-dispatch');
    for (let i = 0; i < events; i++) {
      const started = nowMs();
      const { delivery_count } = await host.delivery.dispatch({ event_type: 'order.paid', tenant_id: `t${(i * 104729 + 13) % tenants}`, payload: { i } });
      latencies.push(nowMs() - started);
      matched += delivery_count;
    }
    await profile.stop();
    latencies.sort((a, b) => a - b);
    const r = (x) => +x.toFixed(3);
    return {
      subscriptions,
      batch,
      create_ms: Math.round(createMs),
      creating_rss_mb: creating.rss_mb,
      creating_heap_used_mb: creating.heap_used_mb,
      creating_heap_total_mb: creating.heap_total_mb,
      creating_external_mb: creating.external_mb,
      creating_collections: creating.collections,
      creating_first_rss_mb: creating.first.rss_mb,
      creating_indexed: indexed,
      replica_rss_mb: fresh.rss_mb,
      replica_heap_used_mb: fresh.heap_used_mb,
      replica_heap_total_mb: fresh.heap_total_mb,
      replica_external_mb: fresh.external_mb,
      replica_collections: fresh.collections,
      replica_first_rss_mb: fresh.first.rss_mb,
      replica_indexed: fresh.indexed,
      replica_load_ms: Math.round(loadMs),
      ratio: +(creating.rss_mb / fresh.rss_mb).toFixed(2),
      first_ratio: +(creating.first.rss_mb / fresh.first.rss_mb).toFixed(2),
      matched_per_event: matched / events,
      p50_ms: r(percentile(latencies, 50)),
      p99_ms: r(percentile(latencies, 99)),
    };
  } finally {
    if (replica && replica.exitCode === null) {
      replica.send('exit');
      await new Promise((res) => (replica.exitCode !== null ? res() : replica.once('exit', res)));
    }
    await host.close();
    await dropSchema(schema);
  }
});

function snapshot(name) {
  const dir = join(BENCH_DIR, 'results', 'profiles');
  mkdirSync(dir, { recursive: true });
  return writeHeapSnapshot(join(dir, `scale-create-${name}${process.env.BENCH_PROFILE_SUFFIX ?? ''}.heapsnapshot`));
}

/** The next message of `type` from `child` (after sending `msg`, when given). */
function reply(child, type, msg) {
  return new Promise((resolve, reject) => {
    const onMessage = (m) => {
      if (m?.type !== type && m?.type !== 'error') return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (m.type === 'error') reject(new Error(m.error));
      else resolve(m);
    };
    const onExit = (code) => reject(new Error(`replica exited with ${code}`));
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (msg) child.send(msg);
  });
}
