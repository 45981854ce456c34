// The peer most NestJS teams would write instead: a BullMQ queue and a Worker that signs (Standard Webhooks,
// node:crypto HMAC) and POSTs with HttpService from @nestjs/axios on axios defaults, written plainly as the
// BullMQ and NestJS docs show. Only the worker's concurrency is set (64, the same as ours); the job options are
// the retry policy we also apply (5 attempts, exponential backoff) and the event id as job id (idempotent
// dispatch, as ours). backend 'redis' is the peer; 'postgres' is BullMQ's own PostgreSQL backend (extra).
// durable: Redis is switched to AOF with appendfsync always for the run (every write synced before it is
// acknowledged: no accepted job lost on a crash, the durability ours has with PostgreSQL), and switched back after.
import { createHmac, randomUUID } from 'node:crypto';
import { EVENT_TYPE, PG, REDIS, benchPayload, dropSchema, nowMs, receiverFromEnv, require, runPool, runScenario, startProfile } from '../lib/common.mjs';

runScenario(async ({ backend = 'redis', durable = false, count = 5_000, warmup = 1_000, concurrency = 64, producers = 16, timeout_ms = 120_000 }) => {
  const receiver = receiverFromEnv();
  if (backend === 'redis') {
    try {
      require.resolve('ioredis');
    } catch {
      return { backend, skipped: "BullMQ 6 needs its optional peer 'ioredis' (or 'redis') to talk to Redis, and neither is installed (npm i -D ioredis@5)" };
    }
  }
  const { Queue, Worker } = require('bullmq');
  const { HttpService } = require('@nestjs/axios');
  const axios = require('axios');
  const { firstValueFrom } = require('rxjs');

  const restoreRedis = backend === 'redis' && durable ? await makeRedisDurable() : null;
  if (typeof restoreRedis === 'string') return { backend, durable, skipped: restoreRedis };

  const schema = 'bullmq_bench';
  let connection;
  let factory;
  if (backend === 'postgres') {
    await dropSchema(schema);
    ({ createPostgresBackend: factory } = require('bullmq'));
    connection = { host: PG.host, port: PG.port, user: PG.user, database: PG.database, schema, migrate: true };
  } else {
    connection = { host: REDIS.host, port: REDIS.port };
  }
  const name = `webhooks-bench-${randomUUID().slice(0, 8)}`;
  const queue = factory ? new Queue(name, { connection }, factory) : new Queue(name, { connection });

  // What a team would write: the subscription's secret and URL, a signer, HttpService with defaults.
  const secret = 'whsec_' + Buffer.from('bench-secret-bench-secret-bench!').toString('base64');
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const http = new HttpService(axios.create());
  const url = receiver.url;

  let completed = 0;
  let failed = 0;
  let lastError = null;
  const processor = async (job) => {
    const event = job.data;
    const body = JSON.stringify({ event_id: event.event_id, event_type: event.event_type, occurred_at: event.occurred_at, source: null, payload: event.payload });
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = createHmac('sha256', key).update(`${event.event_id}.${timestamp}.${body}`).digest('base64');
    const res = await firstValueFrom(
      http.post(url, body, {
        headers: {
          'content-type': 'application/json',
          'webhook-id': event.event_id,
          'webhook-timestamp': String(timestamp),
          'webhook-event-type': event.event_type,
          'webhook-signature': `v1,${signature}`,
        },
        timeout: 30_000,
      }),
    );
    return { status: res.status };
  };
  const worker = factory ? new Worker(name, processor, { connection, concurrency }, factory) : new Worker(name, processor, { connection, concurrency });
  worker.on('completed', () => completed++);
  worker.on('failed', (_job, err) => {
    failed++;
    lastError = err?.message;
  });
  worker.on('error', (err) => (lastError = err?.message));

  const add = (i) => {
    const event_id = randomUUID();
    return queue.add('deliver', { event_id, event_type: EVENT_TYPE, occurred_at: new Date().toISOString(), payload: benchPayload(i) }, { jobId: event_id, attempts: 5, backoff: { type: 'exponential', delay: 1000 } });
  };
  const waitCompleted = async (n) => {
    const deadline = Date.now() + timeout_ms;
    while (completed < n) {
      if (Date.now() > deadline) throw new Error(`BullMQ completed ${completed} of ${n} within ${timeout_ms} ms (${failed} failed, last error: ${lastError})`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return nowMs();
  };

  try {
    await queue.waitUntilReady();
    await worker.waitUntilReady();
    await runPool(warmup, producers, add);
    await waitCompleted(warmup);
    await receiver.reset();
    completed = 0;

    const profile = await startProfile(`bullmq-${backend}`);
    const cpu0 = process.cpuUsage();
    const t0 = nowMs();
    await runPool(count, producers, (i) => add(warmup + i));
    const tAdded = nowMs();
    const tDone = await waitCompleted(count);
    const cpu = process.cpuUsage(cpu0);
    await profile.stop();
    const stats = await receiver.waitForCount(count, 10_000);
    const elapsed = tDone - t0;
    return {
      backend,
      durable,
      count,
      producers,
      concurrency,
      elapsed_ms: +elapsed.toFixed(1),
      per_second: Math.round(count / (elapsed / 1000)),
      dispatch_per_second: Math.round(count / ((tAdded - t0) / 1000)),
      failed,
      receiver_count: stats.count,
      receiver_max_connections: stats.max_connections,
      process_cpu_ms: Math.round((cpu.user + cpu.system) / 1000),
      cpu_us_per_delivery: Math.round((cpu.user + cpu.system) / count),
    };
  } finally {
    await worker.close().catch(() => undefined);
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close().catch(() => undefined);
    if (backend === 'postgres') await dropSchema(schema);
    if (restoreRedis) await restoreRedis();
  }
});

/**
 * AOF on, fsync on every write; returns a function putting the previous settings back, or why it could not
 * (CONFIG refused, no client package).
 */
async function makeRedisDurable() {
  const Redis = require('ioredis');
  const redis = new Redis({ host: REDIS.host, port: REDIS.port, lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const [, appendonly] = await redis.config('GET', 'appendonly');
    const [, appendfsync] = await redis.config('GET', 'appendfsync');
    await redis.config('SET', 'appendfsync', 'always');
    await redis.config('SET', 'appendonly', 'yes');
    // Turning AOF on starts a rewrite; writes are synced to the AOF from then on, but wait for a steady state.
    for (let i = 0; i < 200; i++) {
      const info = await redis.info('persistence');
      if (/aof_enabled:1/.test(info) && /aof_rewrite_in_progress:0/.test(info) && !/aof_rewrite_scheduled:1/.test(info)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    return async () => {
      await redis.config('SET', 'appendonly', appendonly).catch(() => undefined);
      await redis.config('SET', 'appendfsync', appendfsync).catch(() => undefined);
      redis.disconnect();
    };
  } catch (err) {
    redis.disconnect();
    return `could not switch Redis to AOF appendfsync always: ${err.message}`;
  }
}
