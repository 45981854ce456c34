// Latency from dispatch() returning to the receiver getting the request, at a fixed (open-loop) rate on
// PostgreSQL. The dispatcher and the receiver stamp times with CLOCK_MONOTONIC (process.hrtime), which all
// processes of the machine share. Events still undelivered when the drain ends count with the time waited so
// far (a lower bound), so a rate the store cannot keep shows up as a huge p99, not as a missing figure.
// `from: 'called'` measures from the moment dispatch() is called instead (what the caller sees: the commit is
// inside); `per_endpoint: null` leaves every setting of the module at its default.
import {
  EVENT_TYPE,
  benchPayload,
  dropSchema,
  freshSchema,
  loadLibrary,
  nowMs,
  percentile,
  receiverFromEnv,
  runScenario,
  startProfile,
  storeTimings,
  sleep,
  startApp,
} from '../lib/common.mjs';

runScenario(async ({ store = 'postgres', rate = 1000, seconds = 10, warmup_seconds = 1, per_endpoint = 8, drain_ms = 30_000, max_outstanding = 5_000, schema = 'webhook_bench_latency', from = 'returned' }) => {
  const lib = loadLibrary();
  const receiver = receiverFromEnv();
  if (store === 'postgres') await freshSchema(schema);
  const host = await startApp(lib, { store, schema, webhook: per_endpoint === null ? {} : { max_concurrent_per_endpoint: per_endpoint } });
  const fromCall = from === 'called';
  try {
    await host.subscriptions.create({ url: receiver.url, event_types: [EVENT_TYPE] });
    const timings = storeTimings(lib, host.app);
    const returned = new Map();
    let outstanding = 0;
    let maxOutstanding = 0;
    let behind = 0;
    let errors = 0;
    let lastError = null;
    let n = 0;
    const fire = () => {
      const i = n++;
      const event_id = `lat-${i}`;
      outstanding++;
      if (outstanding > maxOutstanding) maxOutstanding = outstanding;
      const called = fromCall ? nowMs() : 0;
      host.delivery
        .dispatch({ event_id, event_type: EVENT_TYPE, payload: benchPayload(i) })
        .then(() => returned.set(event_id, fromCall ? called : nowMs()))
        .catch((err) => {
          errors++;
          lastError = err.message;
        })
        .finally(() => outstanding--);
    };
    // Open loop: every ~5 ms, send whatever the schedule says is due by now.
    const run = async (durationS, record) => {
      if (record) await receiver.reset({ record: true });
      const start = nowMs();
      const first = n;
      for (;;) {
        const elapsed = nowMs() - start;
        if (elapsed >= durationS * 1000) break;
        const due = Math.floor((elapsed / 1000) * rate) - (n - first);
        for (let k = 0; k < due; k++) {
          if (outstanding >= max_outstanding) {
            behind++;
            continue;
          }
          fire();
        }
        await sleep(5);
      }
      return { first, last: n, seconds: (nowMs() - start) / 1000, startedAt: start };
    };
    await run(warmup_seconds, false);
    // Let the warm-up drain before measuring.
    const warmDeadline = Date.now() + drain_ms;
    while (Date.now() < warmDeadline && (await receiver.stats()).count < n) await sleep(50);
    returned.clear();
    timings.reset();

    const profile = await startProfile(`latency-${store}`);
    const window = await run(seconds, true);
    await profile.stop();
    const sent = window.last - window.first;
    const dispatchedDeadline = Date.now() + drain_ms;
    while (outstanding > 0 && Date.now() < dispatchedDeadline) await sleep(10);
    const drainDeadline = Date.now() + drain_ms;
    while (Date.now() < drainDeadline && (await receiver.stats()).count < sent) await sleep(50);
    const drainedAt = nowMs();
    const arrivals = await receiver.arrivals();
    const arrivedAt = new Map();
    for (const [id, t] of arrivals) if (id && !arrivedAt.has(id)) arrivedAt.set(id, t);
    const latencies = [];
    const timed = [];
    let missing = 0;
    let negative = 0;
    for (const [id, t] of returned) {
      const a = arrivedAt.get(id);
      if (a === undefined) missing++;
      else if (a < t) negative++;
      const latency = a === undefined ? drainedAt - t : Math.max(0, a - t);
      latencies.push(latency);
      timed.push([t - window.startedAt, latency]);
    }
    latencies.sort((a, b) => a - b);
    // When the slow ones happened (ms into the window): one stall, or a steady tail.
    const worst = timed.sort((x, y) => y[1] - x[1]).slice(0, 5).map(([at, ms]) => ({ at_ms: Math.round(at), latency_ms: +ms.toFixed(1) }));
    const r = (x) => +x.toFixed(2);
    return {
      store,
      from,
      target_rate: rate,
      seconds,
      drain_ms,
      per_endpoint,
      sent,
      achieved_rate: Math.round(sent / window.seconds),
      dispatch_errors: errors,
      last_dispatch_error: lastError,
      schedule_skipped: behind,
      max_outstanding_dispatches: maxOutstanding,
      measured: latencies.length,
      undelivered_at_end: missing,
      arrived_before_return: negative,
      p50_ms: r(percentile(latencies, 50)),
      p95_ms: r(percentile(latencies, 95)),
      p99_ms: r(percentile(latencies, 99)),
      max_ms: r(latencies[latencies.length - 1] ?? NaN),
      over_50_ms: latencies.filter((x) => x > 50).length,
      worst,
      store_call_ms: timings.summary(),
    };
  } finally {
    await host.close();
    if (store === 'postgres') await dropSchema(schema);
  }
});
