// The limit: raw undici POSTs to the receiver, same body, same headers and same concurrency as the module,
// nothing else (no signing, no store, no Nest).
import { EVENT_TYPE, benchPayload, nowMs, receiverFromEnv, require, runPool, runScenario, startProfile } from '../lib/common.mjs';

runScenario(async ({ count = 20_000, warmup = 2_000, concurrency = 64 }) => {
  const { Agent } = require('undici');
  const receiver = receiverFromEnv();
  // The module's HTTP client uses an undici Agent with default connection limits (one socket per request in flight).
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  const body = JSON.stringify({ event_id: 'evt_raw', event_type: EVENT_TYPE, occurred_at: new Date().toISOString(), source: null, payload: benchPayload(1) });
  const headers = {
    'content-type': 'application/json',
    'user-agent': 'nestjs-webhooks',
    'webhook-id': 'evt_raw_0000000000000000000000000000',
    'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
    'webhook-event-type': EVENT_TYPE,
    'webhook-signature': 'v1,' + 'A'.repeat(43) + '=',
  };
  const url = new URL(receiver.url);
  let errors = 0;
  const post = async () => {
    const res = await agent.request({ origin: url.origin, path: url.pathname, method: 'POST', headers, body });
    await res.body.text();
    if (res.statusCode !== 200) errors++;
  };
  try {
    await runPool(warmup, concurrency, post);
    await receiver.reset();
    const profile = await startProfile('raw-undici');
    const cpu0 = process.cpuUsage();
    const t0 = nowMs();
    await runPool(count, concurrency, post);
    const elapsed = nowMs() - t0;
    const cpu = process.cpuUsage(cpu0);
    await profile.stop();
    const stats = await receiver.stats();
    return {
      count,
      concurrency,
      elapsed_ms: +elapsed.toFixed(1),
      per_second: Math.round(count / (elapsed / 1000)),
      errors,
      receiver_count: stats.count,
      receiver_max_connections: stats.max_connections,
      body_bytes: Buffer.byteLength(body),
      process_cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
      cpu_us_per_delivery: Math.round((cpu.user + cpu.system) / count),
    };
  } finally {
    await agent.close();
  }
});
