// Helpers shared by the bench scenarios. Scenarios are plain Node ESM run as child processes of bench/run.mjs;
// the library is loaded from its CommonJS build (dist/) through require, exactly as a user's app loads it.
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request as httpRequest } from 'node:http';

export const require = createRequire(import.meta.url);
export const BENCH_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT_DIR = resolve(BENCH_DIR, '..');

/** The built package: `dist/index.js` unless WEBHOOK_BENCH_DIST points at another build of lib/. */
export function loadLibrary() {
  require('reflect-metadata');
  const entry = process.env.WEBHOOK_BENCH_DIST ? resolve(process.env.WEBHOOK_BENCH_DIST) : join(ROOT_DIR, 'dist', 'index.js');
  return require(entry);
}

/** The folder of the build the bench loads: dist/, or the one WEBHOOK_BENCH_DIST points into. */
function buildDir() {
  return process.env.WEBHOOK_BENCH_DIST ? resolve(process.env.WEBHOOK_BENCH_DIST, '..') : join(ROOT_DIR, 'dist');
}

/** The built `nestjs-webhooks/typeorm` entry point: WEBHOOK_ENTITIES and WEBHOOK_MIGRATIONS. */
export function loadTypeOrmEntry() {
  return require(join(buildDir(), 'typeorm.js'));
}

/** A module inside the build (`stores/typeorm/index.js`), for internals the package does not export. */
export function loadInternal(path) {
  return require(join(buildDir(), path));
}

export const PG = {
  host: process.env.PGHOST || '127.0.0.1',
  port: Number(process.env.PGPORT || 5432),
  user: process.env.PGUSER || 'postgres',
  database: process.env.PGDATABASE || 'test',
};
export const REDIS = { host: process.env.REDIS_HOST || '127.0.0.1', port: Number(process.env.REDIS_PORT || 6379) };

/** The scenario's parameters, passed by run.mjs as one JSON argument. */
export function scenarioArgs() {
  const raw = process.argv[2];
  return raw ? JSON.parse(raw) : {};
}

/** Sends the scenario's result to run.mjs (or prints it when run by hand) and exits once it is flushed. */
export async function finish(result) {
  if (process.send) {
    await new Promise((res) => process.send({ type: 'result', result }, () => res()));
    process.disconnect?.();
  } else {
    console.log(JSON.stringify(result, null, 2));
  }
}

/** Runs a scenario's main; any failure is reported as a result with `error`, never as a hang. */
export function runScenario(main) {
  main(scenarioArgs())
    .then((result) => finish(result))
    .then(() => process.exit(0))
    .catch(async (err) => {
      console.error(err);
      await finish({ error: String((err && err.stack) || err) }).catch(() => undefined);
      process.exit(1);
    });
}

// ----------------------------------------------------------------------------------------------------------
// The receiver's control port (see receiver.mjs): a separate keep-alive-free HTTP port, so control calls never
// share the connections being measured.

export function receiverFromEnv() {
  const port = Number(process.env.BENCH_RECEIVER_PORT);
  const control = Number(process.env.BENCH_RECEIVER_CONTROL);
  if (!port || !control) throw new Error('BENCH_RECEIVER_PORT / BENCH_RECEIVER_CONTROL not set: run through bench/run.mjs');
  return new ReceiverControl(port, control);
}

export class ReceiverControl {
  constructor(port, controlPort) {
    this.port = port;
    this.controlPort = controlPort;
    this.origin = `http://127.0.0.1:${port}`;
    this.url = `${this.origin}/hook`;
  }

  call(method, path, body) {
    return new Promise((resolveCall, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = httpRequest(
        { host: '127.0.0.1', port: this.controlPort, method, path, agent: false, headers: data ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } : {} },
        (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            if (res.statusCode !== 200) return reject(new Error(`receiver control ${method} ${path}: HTTP ${res.statusCode} ${text}`));
            try {
              resolveCall(text ? JSON.parse(text) : null);
            } catch (e) {
              reject(e);
            }
          });
        },
      );
      req.setTimeout(30_000, () => req.destroy(new Error(`receiver control ${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(data);
    });
  }

  stats() {
    return this.call('GET', '/stats');
  }
  /** Zeroes the counters; `delay_ms` makes every answer wait, `record` keeps (webhook-id, arrival) pairs. */
  reset(options = {}) {
    return this.call('POST', '/reset', { delay_ms: 0, record: false, ...options });
  }
  arrivals() {
    return this.call('GET', '/arrivals');
  }
  sample() {
    return this.call('GET', '/sample');
  }

  /** Polls until the receiver has answered `count` requests; bounded by `timeoutMs`. */
  async waitForCount(count, timeoutMs, intervalMs = 50) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.stats();
      if (s.count >= count) return s;
      if (Date.now() > deadline) throw new Error(`receiver got ${s.count} of ${count} requests within ${timeoutMs} ms`);
      await sleep(intervalMs);
    }
  }
}

// ----------------------------------------------------------------------------------------------------------

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Monotonic clock shared by every process on the machine (CLOCK_MONOTONIC), in milliseconds. */
export const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The payload every contender sends: a typical small order event (the serialized body is about 330 bytes). */
export function benchPayload(i) {
  return {
    order_id: `ord_${String(i).padStart(8, '0')}`,
    customer_id: 'cus_4f1a9c2e',
    amount: 4200 + (i % 100),
    currency: 'EUR',
    status: 'paid',
    items: [
      { sku: 'SKU-1001', quantity: 2, unit_price: 1500 },
      { sku: 'SKU-2002', quantity: 1, unit_price: 1200 },
    ],
  };
}

export const EVENT_TYPE = 'order.paid';

/** Runs `count` calls of `fn(i)` with at most `concurrency` at once; rejects on the first failure. */
export async function runPool(count, concurrency, fn) {
  let next = 0;
  const workers = [];
  for (let w = 0; w < Math.min(concurrency, count); w++) {
    workers.push(
      (async () => {
        while (next < count) {
          const i = next++;
          await fn(i);
        }
      })(),
    );
  }
  await Promise.all(workers);
}

/**
 * This process's memory after collections (with --expose-gc), repeated until RSS stops falling: V8 compacts a
 * fragmented old generation a few pages per full collection, so one collection can leave free pages that the next
 * ones (or V8's memory reducer, once the process is idle) give back. `first` is the figure after one collection.
 */
export async function settledMemory(maxCollections = 30) {
  const mb = (b) => +(b / 2 ** 20).toFixed(1);
  const read = () => {
    const m = process.memoryUsage();
    return { rss_mb: mb(m.rss), heap_used_mb: mb(m.heapUsed), heap_total_mb: mb(m.heapTotal), external_mb: mb(m.external) };
  };
  global.gc?.();
  await sleep(50);
  const first = read();
  let last = first;
  let collections = 1;
  // Settled: three collections in a row that gave back less than 1 MB each.
  for (let flat = 0; global.gc && collections < maxCollections && flat < 3; collections++) {
    global.gc();
    await sleep(50);
    const now = read();
    flat = now.rss_mb < last.rss_mb - 1 ? 0 : flat + 1;
    last = now;
  }
  return { ...last, first, collections };
}

/** Samples this process's RSS every `intervalMs` until stopped; reports the peak. */
export function rssSampler(intervalMs = 100) {
  let peak = process.memoryUsage().rss;
  let samples = 0;
  const timer = setInterval(() => {
    const rss = process.memoryUsage().rss;
    samples++;
    if (rss > peak) peak = rss;
  }, intervalMs);
  return {
    get peak() {
      return peak;
    },
    stop() {
      clearInterval(timer);
      const rss = process.memoryUsage().rss;
      if (rss > peak) peak = rss;
      return { peak_rss_mb: +(peak / 2 ** 20).toFixed(1), samples };
    },
  };
}

// ----------------------------------------------------------------------------------------------------------
// PostgreSQL helpers.

export async function pgAdmin(sqls) {
  const { Client } = require('pg');
  const client = new Client({ ...PG });
  await client.connect();
  try {
    const out = [];
    for (const sql of Array.isArray(sqls) ? sqls : [sqls]) out.push(await client.query(sql));
    return out;
  } finally {
    await client.end();
  }
}

export async function freshSchema(schema) {
  await pgAdmin([`DROP SCHEMA IF EXISTS "${schema}" CASCADE`, `CREATE SCHEMA "${schema}"`]);
}

export async function dropSchema(schema) {
  await pgAdmin(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
}

export async function pgSettings() {
  const [r] = await pgAdmin(`SELECT name, setting FROM pg_settings WHERE name IN ('fsync','synchronous_commit','shared_buffers','server_version','wal_level','full_page_writes')`);
  return Object.fromEntries(r.rows.map((x) => [x.name, x.setting]));
}

// ----------------------------------------------------------------------------------------------------------
// A host app with the webhook module, as a user writes it (plain JS decorators).

/** TypeORM options for the bench's PostgreSQL schema, with the webhook tables made by the shipped migration. */
export function pgDataSourceOptions(lib, schema, extra = {}) {
  return {
    type: 'postgres',
    host: PG.host,
    port: PG.port,
    username: PG.user,
    database: PG.database,
    schema,
    entities: [...loadTypeOrmEntry().WEBHOOK_ENTITIES],
    migrations: [...loadTypeOrmEntry().WEBHOOK_MIGRATIONS],
    migrationsRun: true,
    synchronize: false,
    logging: false,
    ...extra,
  };
}

/**
 * Boots a Nest application context with `WebhookModule.forRoot(options)` on the given store:
 * `memory`, `sqlite` (a file, WAL) or `postgres` (schema `schema`, created fresh by the caller).
 */
export async function startApp(lib, { store, schema, sqliteFile, webhook = {}, poolSize = 10 }) {
  const { Module } = require('@nestjs/common');
  const { NestFactory } = require('@nestjs/core');
  const imports = [];
  const options = { allow_private_urls: true, ...webhook };
  if (store === 'postgres') {
    const { TypeOrmModule } = require('@nestjs/typeorm');
    imports.push(
      TypeOrmModule.forRoot(pgDataSourceOptions(lib, schema, { poolSize })),
    );
    options.store_backend = 'typeorm';
  } else if (store === 'sqlite') {
    const { TypeOrmModule } = require('@nestjs/typeorm');
    imports.push(
      TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: sqliteFile,
        enableWAL: true,
        // better-sqlite3 builds with WAL synchronous=NORMAL (commits survive a process crash, not a power
        // loss); FULL syncs every commit, the durability PostgreSQL gives here with fsync on.
        prepareDatabase: (db) => db.pragma('synchronous = FULL'),
        entities: [...loadTypeOrmEntry().WEBHOOK_ENTITIES],
        migrations: [...loadTypeOrmEntry().WEBHOOK_MIGRATIONS],
        migrationsRun: true,
        synchronize: false,
        logging: false,
      }),
    );
    options.store_backend = 'typeorm';
  } else {
    options.store_backend = 'memory';
  }
  imports.push(lib.WebhookModule.forRoot(options));
  class BenchAppModule {}
  Module({ imports })(BenchAppModule);
  const app = await NestFactory.createApplicationContext(BenchAppModule, { logger: ['error', 'warn'] });
  let sqlite = null;
  if (store === 'sqlite') {
    const ds = app.get(require('@nestjs/typeorm').getDataSourceToken());
    const [{ journal_mode }] = await ds.query('PRAGMA journal_mode');
    const [{ synchronous }] = await ds.query('PRAGMA synchronous');
    sqlite = { journal_mode, synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][synchronous] ?? synchronous };
  }
  return {
    sqlite,
    app,
    delivery: app.get(lib.WebhookDeliveryService),
    subscriptions: app.get(lib.WebhookSubscriptionService),
    close: () => app.close(),
  };
}

/**
 * The module's subscription cache (an internal of the package, reached through the build for diagnostics only):
 * `snapshot.ready` says whether its index is loaded, `match()` answers what dispatch() would match.
 */
export function subscriptionCacheOf(app) {
  const { SubscriptionCache } = loadInternal('subscriptions/subscription-cache.js');
  return app.get(SubscriptionCache);
}

/** Counts `delivered` outcomes; `waitFor(n)` resolves when n were seen (bounded by timeoutMs). */
export function outcomeCounter(delivery) {
  let delivered = 0;
  let failed = 0;
  let lastFailure = null;
  const waiters = [];
  const sub = delivery.outcomes$.subscribe((o) => {
    if (o.type === 'delivered') {
      delivered++;
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (delivered >= waiters[i].n) {
          waiters[i].resolve(nowMs());
          waiters.splice(i, 1);
        }
      }
    } else if (o.type === 'failed' || o.type === 'dead_lettered') {
      failed++;
      lastFailure = o.attempt?.error_message ?? o.type;
    }
  });
  return {
    get delivered() {
      return delivered;
    },
    get failed() {
      return failed;
    },
    get lastFailure() {
      return lastFailure;
    },
    reset() {
      delivered = 0;
      failed = 0;
    },
    waitFor(n, timeoutMs) {
      if (delivered >= n) return Promise.resolve(nowMs());
      return new Promise((resolveWait, reject) => {
        const w = { n, resolve: (t) => (clearTimeout(timer), resolveWait(t)) };
        const timer = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`only ${delivered} of ${n} delivered within ${timeoutMs} ms (${failed} failed attempts${lastFailure ? `, last: ${lastFailure}` : ''})`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    stop() {
      sub.unsubscribe();
    },
  };
}

/** Checks the receiver's first request carries a valid Standard Webhooks signature for `secret`. */
export async function checkSignature(lib, receiver, secret) {
  const sample = await receiver.sample();
  if (!sample) return 'no request seen';
  try {
    lib.verifyWebhook(sample.body, sample.headers, secret);
    return 'valid';
  } catch (err) {
    return `INVALID: ${err.message}`;
  }
}

// ----------------------------------------------------------------------------------------------------------
// CPU profile of the measured phase only (run.mjs --profile sets BENCH_PROFILE_DIR): start before the phase,
// stop after; writes <dir>/<name>.cpuprofile. A no-op otherwise.

export async function startProfile(name) {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return { stop: async () => null };
  const inspector = await import('node:inspector');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const session = new inspector.Session();
  session.connect();
  const post = (method, params) => new Promise((res, rej) => session.post(method, params, (err, out) => (err ? rej(err) : res(out))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  // BENCH_HEAP_SAMPLING=1 (run.mjs --heap-sampling): also where the measured phase allocates (sampled every 32 KB).
  // BENCH_HEAP_SURVIVORS=1 (run.mjs --heap-survivors): only what outlives a young-generation collection, that is
  // what scavenges copy and promote.
  const heap = process.env.BENCH_HEAP_SAMPLING === '1';
  const survivors = process.env.BENCH_HEAP_SURVIVORS === '1';
  if (heap) await post('HeapProfiler.startSampling', { samplingInterval: 32_768, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !survivors });
  return {
    async stop() {
      const { profile } = await post('Profiler.stop');
      const sampled = heap ? (await post('HeapProfiler.stopSampling')).profile : null;
      session.disconnect();
      mkdirSync(dir, { recursive: true });
      const base = join(dir, `${name}${process.env.BENCH_PROFILE_SUFFIX ?? ''}`);
      writeFileSync(`${base}.cpuprofile`, JSON.stringify(profile));
      if (sampled) writeFileSync(`${base}.heapprofile`, JSON.stringify(sampled));
      return `${base}.cpuprofile`;
    },
  };
}

// ----------------------------------------------------------------------------------------------------------
// Diagnostics: how many store calls and SQL round trips a run made (cheap counters, for the report).

let pgQueries = 0;
let pgPatched = false;
/** Counts every query node-postgres sends (TypeORM's and BullMQ's alike). */
export function countPgQueries() {
  if (!pgPatched) {
    const pg = require('pg');
    const original = pg.Client.prototype.query;
    pg.Client.prototype.query = function (...args) {
      pgQueries++;
      return original.apply(this, args);
    };
    pgPatched = true;
  }
  return { get count() { return pgQueries; } };
}

/** Wraps the module's stores to count calls (and claimed rows) from now on. */
export function storeCounters(lib, app) {
  const counts = {};
  const wrap = (obj, label, methods) => {
    for (const m of methods) {
      if (typeof obj[m] !== 'function') continue;
      const original = obj[m].bind(obj);
      counts[`${label}.${m}`] = 0;
      obj[m] = (...args) => {
        counts[`${label}.${m}`]++;
        const p = original(...args);
        if (m === 'claimDue') p.then((rows) => (counts['delivery.claimDue.rows'] = (counts['delivery.claimDue.rows'] ?? 0) + rows.length)).catch(() => undefined);
        return p;
      };
    }
  };
  wrap(app.get(lib.WEBHOOK_DELIVERY_STORE), 'delivery', ['enqueue', 'claimDue', 'complete', 'releaseLeases']);
  wrap(app.get(lib.WEBHOOK_SUBSCRIPTION_STORE), 'subscription', ['list', 'get']);
  return {
    reset() {
      for (const k of Object.keys(counts)) counts[k] = 0;
    },
    snapshot() {
      return { ...counts };
    },
  };
}

/** Wraps the module's stores to record how long each call takes (p50/p99/max per method). */
export function storeTimings(lib, app, methods = { delivery: ['enqueue', 'claimDue', 'complete'], subscription: ['list', 'get'] }) {
  const samples = {};
  const wrap = (obj, label, names) => {
    for (const m of names) {
      if (typeof obj[m] !== 'function') continue;
      const original = obj[m].bind(obj);
      const list = (samples[`${label}.${m}`] = []);
      obj[m] = async (...args) => {
        const t = nowMs();
        try {
          return await original(...args);
        } finally {
          if (list.length < 1_000_000) list.push(nowMs() - t);
        }
      };
    }
  };
  wrap(app.get(lib.WEBHOOK_DELIVERY_STORE), 'delivery', methods.delivery);
  wrap(app.get(lib.WEBHOOK_SUBSCRIPTION_STORE), 'subscription', methods.subscription);
  return {
    reset() {
      for (const k of Object.keys(samples)) samples[k].length = 0;
    },
    summary() {
      const out = {};
      for (const [k, v] of Object.entries(samples)) {
        const s = [...v].sort((a, b) => a - b);
        out[k] = { calls: s.length, p50_ms: +percentile(s, 50).toFixed(2), p99_ms: +percentile(s, 99).toFixed(2), max_ms: +(s[s.length - 1] ?? NaN).toFixed(2) };
      }
      return out;
    },
  };
}
