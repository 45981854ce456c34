// A second replica for the scenarios that measure between processes: boots the host app on the same PostgreSQL
// schema (args: { schema, webhook }), waits until its subscription snapshot is loaded, sends { type: 'ready' }
// over IPC, and closes when told 'exit' (or when its parent goes). Also answers
//   { cmd: 'watch', event_type, tenant_id, count }: polls which subscriptions receive that event until their number
//   is no longer `count`, then replies { type: 'changed', at } (CLOCK_MONOTONIC ms);
//   { cmd: 'rss' }: collects garbage until RSS settles (when run with --expose-gc; see settledMemory) and replies
//   { type: 'rss', rss_mb, heap_used_mb, ..., first, collections, indexed } (the memory of a fresh replica that loaded the subscriptions, and how many its index holds).
// Not a scenario of its own.
import { BENCH_DIR, loadLibrary, nowMs, scenarioArgs, settledMemory, sleep, startApp, subscriptionCacheOf } from '../lib/common.mjs';

const { schema, webhook = {} } = scenarioArgs();
const lib = loadLibrary();
const host = await startApp(lib, { store: 'postgres', schema, webhook });
const cache = subscriptionCacheOf(host.app);
while (!cache.snapshot?.ready) await sleep(20);
process.send({ type: 'ready' });
const close = async () => {
  await host.close().catch(() => undefined);
  process.exit(0);
};
process.on('message', async (m) => {
  if (m === 'exit') return void close();
  if (m?.cmd === 'rss') {
    return void process.send({ type: 'rss', ...(await settledMemory()), indexed: cache.snapshot?.size ?? null });
  }
  if (m?.cmd === 'snapshot') {
    const { writeHeapSnapshot } = await import('node:v8');
    const { join } = await import('node:path');
    writeHeapSnapshot(join(BENCH_DIR, 'results', 'profiles', `scale-create-replica${process.env.BENCH_PROFILE_SUFFIX ?? ''}.heapsnapshot`));
    return void process.send({ type: 'snapshot' });
  }
  if (m?.cmd === 'watch') {
    const event = { event_type: m.event_type, source: null, body: '{"payload":{}}' };
    // It must match the count before the change, or the figure would measure nothing.
    const before = (await cache.match(event, m.tenant_id)).length;
    if (before !== m.count) return void process.send({ type: 'error', error: `the peer matched ${before} subscriptions before the change, not ${m.count}` });
    while ((await cache.match(event, m.tenant_id)).length === m.count) await new Promise((r) => setImmediate(r));
    process.send({ type: 'changed', at: nowMs() });
  }
});
process.on('disconnect', () => void close());
