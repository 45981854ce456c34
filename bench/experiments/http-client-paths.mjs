// Experiment (not part of `npm run bench`): what each layer of the library's HTTP path costs per request, against
// the same receiver process, 64 in flight, same body and headers.
//
//   node bench/experiments/http-client-paths.mjs [count]
//
// A  WebhookHttpClient.send() (what the worker does): with no axios interceptor registered, undiciExchange() directly
// A2 the same send() with a no-op request interceptor on axiosRef: HttpService.post() + firstValueFrom
// B  the same axios instance through HttpService.axiosRef.request() (no Observable, no CancelToken)
// C  createUndiciAxiosAdapter() called directly (the adapter without axios)
// D  raw undici Agent.request()
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { BENCH_DIR, EVENT_TYPE, benchPayload, loadLibrary, nowMs, require, runPool } from '../lib/common.mjs';

const COUNT = Number(process.argv[2] ?? 20_000);
const lib = loadLibrary();
const { Agent } = require('undici');

const receiver = fork(join(BENCH_DIR, 'receiver.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
const ready = await new Promise((res) => receiver.once('message', res));
const url = `http://127.0.0.1:${ready.port}/hook`;
const body = JSON.stringify({ event_id: 'evt_x', event_type: EVENT_TYPE, occurred_at: new Date().toISOString(), source: null, payload: benchPayload(1) });
const headers = {
  'content-type': 'application/json',
  'user-agent': 'nestjs-webhooks',
  'webhook-id': 'evt_x',
  'webhook-timestamp': String(Math.floor(Date.now() / 1000)),
  'webhook-event-type': EVENT_TYPE,
  'webhook-signature': 'v1,' + 'A'.repeat(43) + '=',
};

const config = lib.resolveWebhookConfig({ allow_private_urls: true });
const client = new lib.WebhookHttpClient(config);
const intercepted = new lib.WebhookHttpClient(config);
intercepted.http.axiosRef.interceptors.request.use((c) => c);
const agent = new Agent({ keepAliveTimeout: 10_000 });
const adapter = lib.createUndiciAxiosAdapter(agent, config.max_response_bytes);
const u = new URL(url);

const paths = {
  'A send()': async () => {
    const r = await client.send(url, headers, body);
    if (!r.ok) throw new Error(r.error_message);
  },
  'A2 send()+ic': async () => {
    const r = await intercepted.send(url, headers, body);
    if (!r.ok) throw new Error(r.error_message);
  },
  'B axiosRef': async () => {
    const r = await client.http.axiosRef.request({ url, method: 'post', data: body, headers });
    if (r.status !== 200) throw new Error(String(r.status));
  },
  'C adapter': async () => {
    const r = await adapter({ url, method: 'post', data: body, headers, timeout: 30_000 });
    if (r.status !== 200) throw new Error(String(r.status));
  },
  'D undici': async () => {
    const r = await agent.request({ origin: u.origin, path: u.pathname, method: 'POST', headers, body });
    await r.body.text();
    if (r.statusCode !== 200) throw new Error(String(r.statusCode));
  },
};

try {
  for (let round = 0; round < 2; round++) {
    for (const [name, fn] of Object.entries(paths)) {
      await runPool(2000, 64, fn);
      const cpu0 = process.cpuUsage();
      const t0 = nowMs();
      await runPool(COUNT, 64, fn);
      const ms = nowMs() - t0;
      const cpu = process.cpuUsage(cpu0);
      console.log(`${name.padEnd(13)} ${String(Math.round(COUNT / (ms / 1000))).padStart(6)} req/s  ${String(Math.round((cpu.user + cpu.system) / COUNT)).padStart(4)} µs CPU/request`);
    }
  }
} finally {
  await client.onApplicationShutdown();
  await intercepted.onApplicationShutdown();
  await agent.close();
  receiver.send('exit');
}
