// Scale with the number of subscriptions: `subscriptions` of them (10 per tenant), then
// - dispatch: 2,000 tenant-scoped events one after another (each matches its tenant's 10), rate and latency;
// - idle: what one replica costs while nothing happens (SQL queries/s, CPU), over `idle_ms`;
// - memory: RSS of the process after a GC, with the subscriptions loaded;
// - propagation (PostgreSQL): a second process; a subscription deactivated here stops matching there after ... ms.
// PostgreSQL subscriptions are inserted by SQL (setup only) before the measured app starts, which loads them.
import { fork } from 'node:child_process';
import { join } from 'node:path';
import {
  BENCH_DIR,
  countPgQueries,
  dropSchema,
  freshSchema,
  loadLibrary,
  nowMs,
  percentile,
  pgAdmin,
  receiverFromEnv,
  runScenario,
  sleep,
  startApp,
  subscriptionCacheOf,
} from '../lib/common.mjs';

const PER_TENANT = 10;

runScenario(async ({ store = 'memory', subscriptions = 1000, events = 2000, idle_ms = 10_000, propagation = false, schema = 'webhook_bench_scale' }) => {
  const lib = loadLibrary();
  const receiver = receiverFromEnv();
  const tenants = Math.max(1, Math.floor(subscriptions / PER_TENANT));
  const rssBefore = process.memoryUsage().rss;
  let host;
  let loadMs = null;
  const tSeed = nowMs();
  if (store === 'postgres') {
    await freshSchema(schema);
    // The tables, by the shipped migrations; then the rows by SQL, then the measured app (which loads them).
    await (await startApp(lib, { store, schema })).close();
    await seedPostgres(schema, receiver.url, subscriptions);
    const seededMs = nowMs() - tSeed;
    const tLoad = nowMs();
    host = await startApp(lib, { store, schema });
    const cache = subscriptionCacheOf(host.app);
    while (!cache.snapshot?.ready) await sleep(20);
    loadMs = Math.round(nowMs() - tLoad);
    host.seeded_ms = Math.round(seededMs);
  } else {
    host = await startApp(lib, { store });
    const storeRef = host.app.get(lib.WEBHOOK_SUBSCRIPTION_STORE);
    for (let from = 0; from < subscriptions; from += 10_000) {
      const subs = [];
      for (let g = from; g < Math.min(from + 10_000, subscriptions); g++) subs.push(subscription(g, receiver.url));
      await storeRef.createMany(subs);
    }
    host.seeded_ms = Math.round(nowMs() - tSeed);
  }
  try {
    // Dispatch: sequential, tenant-scoped, each matching 10.
    await receiver.reset();
    const latencies = [];
    let matched = 0;
    for (let i = 0; i < 200; i++) await host.delivery.dispatch({ event_type: 'order.paid', tenant_id: `t${(i * 7919) % tenants}`, payload: { i } });
    const t0 = nowMs();
    for (let i = 0; i < events; i++) {
      const started = nowMs();
      const { delivery_count } = await host.delivery.dispatch({ event_type: 'order.paid', tenant_id: `t${(i * 104729 + 13) % tenants}`, payload: { i } });
      latencies.push(nowMs() - started);
      matched += delivery_count;
    }
    const elapsed = nowMs() - t0;
    latencies.sort((a, b) => a - b);
    // Let the deliveries drain, so the idle phase is idle.
    const expected = (events + 200) * PER_TENANT;
    const deadline = Date.now() + 120_000;
    while ((await receiver.stats()).count < expected && Date.now() < deadline) await sleep(100);
    await sleep(1500);

    // Idle: what the replica costs when nothing happens.
    const queries = store === 'postgres' ? countPgQueries() : null;
    const queriesBefore = queries?.count ?? 0;
    const cpu0 = process.cpuUsage();
    const tIdle = nowMs();
    await sleep(idle_ms);
    const idleS = (nowMs() - tIdle) / 1000;
    const cpu = process.cpuUsage(cpu0);
    global.gc?.();
    const rss = process.memoryUsage().rss;

    let propagation_ms = null;
    if (propagation && store === 'postgres') propagation_ms = await measurePropagation(host, schema, tenants);

    const r = (x) => +x.toFixed(3);
    return {
      store,
      subscriptions,
      tenants,
      seeded_ms: host.seeded_ms,
      load_ms: loadMs,
      events,
      matched_per_event: matched / events,
      dispatch_per_second: Math.round(events / (elapsed / 1000)),
      p50_ms: r(percentile(latencies, 50)),
      p99_ms: r(percentile(latencies, 99)),
      idle_queries_per_second: queries ? +((queries.count - queriesBefore) / idleS).toFixed(2) : null,
      idle_cpu_percent: +(((cpu.user + cpu.system) / 1000 / (idleS * 1000)) * 100).toFixed(2),
      rss_mb: +(rss / 2 ** 20).toFixed(1),
      rss_before_mb: +(rssBefore / 2 ** 20).toFixed(1),
      propagation_ms,
    };
  } finally {
    await host.close();
    if (store === 'postgres') await dropSchema(schema);
  }
});

function subscription(g, url) {
  return {
    subscription_id: `scale-${String(g).padStart(8, '0')}`,
    url: `${url}/${g % 100}`,
    secret: `whsec_${Buffer.from(`secret-of-${g}-padded-to-be-long-enough`).toString('base64')}`,
    event_types: ['order.*'],
    active: true,
    description: null,
    tenant_id: `t${Math.floor(g / PER_TENANT)}`,
    created_at: new Date(Date.UTC(2030, 0, 1) + g),
    metadata: {},
  };
}

async function seedPostgres(schema, url, count) {
  const cols = '(subscription_id, url, secret, event_types, active, description, tenant_id, created_at, metadata, previous_secret, previous_secret_expires_at, disabled_reason)';
  const secret = `'whsec_' || encode(decode(md5(g::text) || md5((g + 7)::text), 'hex'), 'base64')`;
  for (let from = 0; from < count; from += 200_000) {
    const to = Math.min(from + 200_000, count) - 1;
    await pgAdmin(
      `INSERT INTO "${schema}".webhook_subscriptions ${cols} SELECT 'scale-' || lpad(g::text, 8, '0'), '${url}/' || (g % 100), ${secret}, '["order.*"]', true, NULL, ` +
        `'t' || (g / ${PER_TENANT}), timestamp '2030-01-01' + g * interval '1 millisecond', '{}', NULL, NULL, NULL FROM generate_series(${from}, ${to}) g`,
    );
  }
  await pgAdmin(`ANALYZE "${schema}".webhook_subscriptions`);
}

/** A second process; deactivate one subscription here; ms until it stops matching there. */
async function measurePropagation(host, schema, tenants) {
  const peer = fork(join(BENCH_DIR, 'scenarios/peer-app.mjs'), [JSON.stringify({ schema })], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    await new Promise((resolve, reject) => {
      peer.once('message', (m) => (m?.type === 'ready' ? resolve() : reject(new Error(`peer said ${JSON.stringify(m)}`))));
      peer.once('exit', (code) => reject(new Error(`peer exited with ${code}`)));
    });
    const samples = [];
    for (let k = 0; k < 5; k++) {
      const tenant = `t${(k * 7907) % tenants}`;
      const changed = new Promise((resolve, reject) => {
        peer.once('message', (m) => (m?.type === 'changed' ? resolve(m.at) : reject(new Error(`peer said ${JSON.stringify(m)}`))));
        peer.once('exit', (code) => reject(new Error(`peer exited with ${code}`)));
      });
      peer.send({ cmd: 'watch', event_type: 'order.paid', tenant_id: tenant, count: PER_TENANT });
      await sleep(100);
      const [victim] = await host.subscriptions.list({ tenant_id: tenant, limit: 1 });
      const t0 = nowMs();
      await host.subscriptions.deactivate(victim.subscription_id);
      samples.push((await changed) - t0);
    }
    samples.sort((a, b) => a - b);
    return { median: +samples[2].toFixed(1), max: +samples[4].toFixed(1) };
  } finally {
    peer.send('exit');
    await new Promise((r) => (peer.exitCode !== null ? r() : peer.once('exit', r)));
  }
}
