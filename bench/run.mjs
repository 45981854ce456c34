#!/usr/bin/env node
// Benchmark orchestrator (GitHub issue 6). Runs every scenario as its own child process against a fresh
// receiver process, all on this machine in this run, so the ratios between figures hold on a noisy machine.
//
//   node bench/run.mjs            full mode (about 10 minutes)
//   node bench/run.mjs --quick    smaller counts (under 2 minutes)
//   --only=a,b                    run only the named scenario ids (see SCENARIOS below; prefix match)
//   --profile                     CPU-profile each scenario's measured phase (V8 profiler, like node --cpu-prof):
//                                 bench/results/profiles/<id>.cpuprofile; summarize with bench/profile-summary.mjs
//   --cpu-prof                    also run each scenario process under `node --cpu-prof` (whole process, start-up
//                                 included): bench/results/profiles/<id>.whole.cpuprofile
//   --scale=N                     subscriptions of the large scale cases (default 1,000,000; quick 100,000)
//   --heap-sampling               with --profile: also a sampling heap profile of the measured phase (<id>.heapprofile:
//                                 what allocates, including what the young generation collects)
//   --heap-survivors              with --heap-sampling: only what outlives a young-generation collection (what every
//                                 scavenge copies, then promotes to the old generation)
//   --heap-snapshot               scenarios that support it (scale-create-postgres) write V8 heap snapshots there too
//   --no-write                    do not write bench/results/latest.json and bench/RESULTS.md
//   --baseline=<dir>              paired run: every scenario also runs against <dir>/dist (another checkout, built,
//                                 e.g. `git worktree add --detach ../base main && (cd ../base && npm run build)`),
//                                 each pair back to back (which side goes first alternates per repetition), one
//                                 table shows both (full mode: median of 3 per side); writes
//                                 bench/results/paired.json and bench/results/PAIRED.md instead of RESULTS.md
//
// Loads the library from a private copy of dist/ taken at start (run `npm run build` first; `npm run bench` does),
// or from WEBHOOK_BENCH_DIST=/path/to/index.js.
import { fork } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release, hostname, loadavg } from 'node:os';
import { join } from 'node:path';
import { BENCH_DIR, REDIS, require, pgSettings, median } from './lib/common.mjs';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const PROFILE = argv.includes('--profile');
const CPU_PROF = argv.includes('--cpu-prof');
const WRITE = !argv.includes('--no-write');
const ONLY = (argv.find((a) => a.startsWith('--only=')) ?? '').slice('--only='.length).split(',').filter(Boolean);
const HEAP_SNAPSHOT = argv.includes('--heap-snapshot');
const HEAP_SAMPLING = argv.includes('--heap-sampling');
const HEAP_SURVIVORS = argv.includes('--heap-survivors');
const BASELINE = (argv.find((a) => a.startsWith('--baseline=')) ?? '').slice('--baseline='.length) || null;
const MODE = QUICK ? 'quick' : 'full';
const RESULTS_DIR = join(BENCH_DIR, 'results');
const PROFILE_DIR = join(RESULTS_DIR, 'profiles');

/** Sizes per mode. Full mode repeats the throughput runs and reports the median. */
const SIZE = QUICK
  ? { scale: 100_000, broadcast: 20_000, idleMs: 5_000, raw: 10_000, ours: 10_000, oursDb: 2_000, peer: 1_000, reps: 1, latencySeconds: 2, latencyDrainMs: 5_000, latencyLow: false, fanout: 10_000, fanoutDeliverMs: 3_000, history: [1_000, 100_000], statsAttempts: 200_000, laneKeys: 200, lanePerKey: 5, pendingMemory: 100_000, pendingPg: 100_000, pendingPgDispatched: 1_000, settleMs: 1_500 }
  : { scale: 1_000_000, broadcast: 100_000, idleMs: 10_000, raw: 50_000, ours: 12_000, oursDb: 4_000, peer: 2_000, reps: 3, latencySeconds: 10, latencyDrainMs: 30_000, fanout: 10_000, fanoutDeliverMs: 120_000, history: [1_000, 1_000_000], statsAttempts: 1_000_000, laneKeys: 1_000, lanePerKey: 10, pendingMemory: 100_000, pendingPg: 100_000, pendingPgDispatched: 20_000, latencyLow: true, settleMs: 3_000 };

// --scale=N: subscriptions of the large scale cases (scale-*-large, scale-create-postgres) instead of the mode's.
const SCALE = Number((argv.find((a) => a.startsWith('--scale=')) ?? '').slice('--scale='.length));
if (SCALE > 0) SIZE.scale = SCALE;

const CONCURRENCY = 64;
/**
 * Concurrent dispatch() callers (and Queue.add() callers for the peer), like the concurrent requests of a busy
 * host app; as many as sends in flight. With 16, the PostgreSQL rate measured 16 callers x commit latency (each
 * caller waits for its commit) instead of what the module can carry: 2,844/s against 3,560/s with 64, while the
 * BullMQ peer, bound by its worker, did not move (2,074 vs 2,115/s).
 */
const PRODUCERS = 64;

/** Requests before raw undici's measured phase (and the memory store's, which is compared with it). */
const RAW_WARMUP = 2_000;

/** Every scenario: id, script, arguments, hard time limit. */
function scenarios() {
  const list = [];
  for (let rep = 1; rep <= SIZE.reps; rep++) {
    const r = SIZE.reps > 1 ? `#${rep}` : '';
    list.push({ id: `raw-undici${r}`, group: 'raw-undici', script: 'raw-undici.mjs', args: { count: SIZE.raw, concurrency: CONCURRENCY, warmup: RAW_WARMUP }, limit: 60_000 });
    // The memory store runs as long as raw undici, after the same warm-up: the ratio of the two is a target, and a
    // shorter run measures the JIT warming up (12,000 events after 1,000 ran at 14,000-17,000/s where 50,000 after
    // 2,000 ran at 21,000/s, same build, same machine).
    for (const [store, count, warmup] of [
      ['memory', SIZE.raw, RAW_WARMUP],
      ['sqlite', SIZE.oursDb, Math.min(1000, Math.round(SIZE.oursDb / 5))],
      ['postgres', SIZE.oursDb, Math.min(1000, Math.round(SIZE.oursDb / 5))],
    ]) {
      for (const per of [8, 64]) {
        list.push({
          id: `ours-${store}-pe${per}${r}`,
          group: `ours-${store}-pe${per}`,
          script: 'throughput.mjs',
          args: { store, count, per_endpoint: per, concurrency: CONCURRENCY, producers: PRODUCERS, warmup },
          limit: 150_000,
        });
      }
    }
    // Quick mode has one repetition: measure the limit again after our runs, and take the median of both.
    if (SIZE.reps === 1) list.push({ id: 'raw-undici-again', group: 'raw-undici', script: 'raw-undici.mjs', args: { count: SIZE.raw, concurrency: CONCURRENCY, warmup: RAW_WARMUP }, limit: 60_000 });
    const peerArgs = { count: SIZE.peer, concurrency: CONCURRENCY, producers: PRODUCERS, warmup: Math.min(1000, Math.round(SIZE.peer / 5)) };
    list.push({ id: `bullmq-redis${r}`, group: 'bullmq-redis', script: 'bullmq.mjs', args: { backend: 'redis', durable: true, ...peerArgs }, limit: 150_000 });
    list.push({ id: `bullmq-redis-volatile${r}`, group: 'bullmq-redis-volatile', script: 'bullmq.mjs', args: { backend: 'redis', ...peerArgs }, limit: 150_000 });
    list.push({ id: `bullmq-postgres${r}`, group: 'bullmq-postgres', script: 'bullmq.mjs', args: { backend: 'postgres', ...peerArgs }, limit: 150_000 });
  }
  // Signatures: sign and verify cost per delivery, then the memory store's rate with HMAC and with ed25519 subscriptions.
  list.push({ id: 'signing', group: 'signing', script: 'signing.mjs', args: { ops: 20_000 }, limit: 60_000 });
  for (const type of ['hmac-sha256', 'ed25519']) {
    list.push({
      id: `signing-memory-${type}`,
      group: `signing-memory-${type}`,
      script: 'throughput.mjs',
      args: { store: 'memory', count: SIZE.ours, per_endpoint: 64, concurrency: CONCURRENCY, producers: PRODUCERS, warmup: Math.min(1000, Math.round(SIZE.ours / 5)), signature_type: type },
      limit: 150_000,
    });
  }
  list.push({ id: 'latency-postgres', group: 'latency-postgres', script: 'latency.mjs', args: { rate: 1000, seconds: SIZE.latencySeconds, drain_ms: SIZE.latencyDrainMs, per_endpoint: 8 }, limit: 60_000 + 3 * SIZE.latencyDrainMs });
  list.push({ id: 'latency-postgres-pe64', group: 'latency-postgres-pe64', script: 'latency.mjs', args: { rate: 1000, seconds: SIZE.latencySeconds, drain_ms: SIZE.latencyDrainMs, per_endpoint: 64 }, limit: 60_000 + 3 * SIZE.latencyDrainMs });
  // Issue 22: what a caller sees with every setting at its default, from the moment dispatch() is called.
  for (const rate of [250, 1000]) {
    list.push({ id: `latency-defaults-${rate}`, group: `latency-defaults-${rate}`, script: 'latency.mjs', args: { rate, seconds: SIZE.latencySeconds, drain_ms: SIZE.latencyDrainMs, per_endpoint: null, from: 'called', schema: 'webhook_bench_latency_defaults' }, limit: 60_000 + 3 * SIZE.latencyDrainMs });
  }
  if (SIZE.latencyLow) list.push({ id: 'latency-postgres-100', group: 'latency-postgres-100', script: 'latency.mjs', args: { rate: 100, seconds: SIZE.latencySeconds, drain_ms: SIZE.latencyDrainMs, per_endpoint: 8 }, limit: 60_000 + 3 * SIZE.latencyDrainMs });
  list.push({ id: 'transactional-postgres', group: 'transactional-postgres', script: 'transactional.mjs', args: { rate: 1000, seconds: SIZE.latencySeconds, cross_rate: 200, cross_seconds: QUICK ? 3 : 5 }, limit: 240_000 });
  list.push({ id: 'broadcast-postgres', group: 'broadcast-postgres', script: 'fanout.mjs', node_args: ['--max-old-space-size=4096'], args: { store: 'postgres', subscriptions: SIZE.broadcast, deliver_timeout_ms: 5_000, schema: 'webhook_bench_broadcast' }, limit: 300_000 });
  for (const store of ['memory', 'postgres']) {
    for (const [size, subscriptions] of [['small', 1000], ['large', SIZE.scale]]) {
      list.push({
        id: `scale-${store}-${size}`,
        group: `scale-${store}-${size}`,
        script: 'scale.mjs',
        node_args: ['--expose-gc', '--max-old-space-size=4096'],
        args: { store, subscriptions, events: 2000, idle_ms: SIZE.idleMs, propagation: store === 'postgres', schema: `webhook_bench_scale_${size}` },
        limit: 900_000,
      });
    }
  }
  // The process that created the subscriptions (createMany, 1,000 per call) against a fresh replica that loaded them.
  list.push({
    id: 'scale-create-postgres',
    group: 'scale-create-postgres',
    script: 'scale-create.mjs',
    node_args: ['--expose-gc', '--max-old-space-size=4096'],
    args: { subscriptions: SIZE.scale, batch: 1000, events: 2000, heap_snapshot: HEAP_SNAPSHOT },
    limit: 1_800_000,
  });
  for (const store of ['memory', 'postgres']) {
    list.push({ id: `ordered-${store}`, group: `ordered-${store}`, script: 'ordered.mjs', args: { store, keys: SIZE.laneKeys, per_key: SIZE.lanePerKey, per_endpoint: 16, delay_ms: 20 }, limit: 600_000 });
  }
  list.push({ id: 'fanout-postgres', group: 'fanout-postgres', script: 'fanout.mjs', args: { store: 'postgres', subscriptions: SIZE.fanout, deliver_timeout_ms: SIZE.fanoutDeliverMs }, limit: 120_000 + SIZE.fanoutDeliverMs });
  list.push({ id: 'history-postgres', group: 'history-postgres', script: 'history.mjs', args: { sizes: SIZE.history, repeats: 15 }, limit: 300_000 });
  list.push({ id: 'stats-postgres', group: 'stats-postgres', script: 'stats.mjs', args: { attempts: SIZE.statsAttempts, subscriptions: 10_000, repeats: 30 }, limit: 300_000 });
  list.push({ id: 'memory-memory', group: 'memory-memory', script: 'memory.mjs', node_args: ['--expose-gc'], args: { store: 'memory', pending: SIZE.pendingMemory, delay_ms: 1000, settle_ms: SIZE.settleMs }, limit: 180_000 });
  list.push({ id: 'memory-postgres', group: 'memory-postgres', script: 'memory.mjs', node_args: ['--expose-gc'], args: { store: 'postgres', pending: SIZE.pendingPg, dispatched: SIZE.pendingPgDispatched, delay_ms: 1000, settle_ms: SIZE.settleMs }, limit: 300_000 });
  return ONLY.length ? list.filter((s) => ONLY.some((o) => s.id.startsWith(o))) : list;
}

// ----------------------------------------------------------------------------------------------------------

const children = new Set();

function startReceiver() {
  return new Promise((resolveStart, reject) => {
    const child = fork(join(BENCH_DIR, 'receiver.mjs'), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(child);
    child.on('exit', () => children.delete(child));
    const timer = setTimeout(() => reject(new Error('receiver did not start within 10 s')), 10_000);
    child.once('message', (msg) => {
      clearTimeout(timer);
      if (msg?.type === 'ready') resolveStart({ child, port: msg.port, control: msg.control });
      else reject(new Error(`receiver said ${JSON.stringify(msg)}`));
    });
    child.once('error', reject);
  });
}

async function stopChild(child, graceMs = 3000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  try {
    if (child.connected) child.send('exit');
  } catch {
    /* already gone */
  }
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Runs one scenario in its own process against a fresh receiver; `side` ('base') loads the baseline build. */
async function runOne(scenario, side = null) {
  const receiver = await startReceiver();
  const sideEnv = side === 'base' ? { WEBHOOK_BENCH_DIST: baseEntry } : {};
  const sideSuffix = side === 'base' ? '_base' : '';
  const started = Date.now();
  const execArgv = [...(scenario.node_args ?? []), ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${scenario.id.replace(/[^a-z0-9-]/gi, '_')}${sideSuffix}.whole.cpuprofile`] : [])];
  try {
    return await new Promise((resolveRun) => {
      const child = fork(join(BENCH_DIR, 'scenarios', scenario.script), [JSON.stringify(scenario.args)], {
        execArgv,
        env: { ...process.env, ...sideEnv, ...(PROFILE ? { BENCH_HEAP_SAMPLING: HEAP_SAMPLING ? '1' : '0', BENCH_HEAP_SURVIVORS: HEAP_SURVIVORS ? '1' : '0', BENCH_PROFILE_DIR: PROFILE_DIR, BENCH_PROFILE_SUFFIX: `${scenario.id.includes('#') ? `_${scenario.id.split('#')[1]}` : ''}${sideSuffix}` } : {}), TZ: 'UTC', BENCH_RECEIVER_PORT: String(receiver.port), BENCH_RECEIVER_CONTROL: String(receiver.control) },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      children.add(child);
      let result = null;
      const timer = setTimeout(() => {
        result = { error: `timed out after ${scenario.limit / 1000} s (killed)` };
        child.kill('SIGKILL');
      }, scenario.limit);
      child.on('message', (msg) => {
        if (msg?.type === 'result') result = msg.result;
      });
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        children.delete(child);
        resolveRun(result ?? { error: `exited with ${signal ?? code} before reporting` });
      });
    });
  } finally {
    await stopChild(receiver.child);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`  ${scenario.id}${side ? ` (${side})` : ''} done in ${secs} s\n`);
  }
}

async function redisInfo() {
  // Without a Redis client package, ask the server with a plain RESP exchange (INFO persistence).
  const net = await import('node:net');
  return new Promise((resolveInfo) => {
    const sock = net.createConnection(REDIS.port, REDIS.host);
    let data = '';
    const done = (value) => {
      sock.destroy();
      resolveInfo(value);
    };
    sock.setTimeout(3000, () => done(null));
    sock.on('error', () => done(null));
    sock.on('connect', () => sock.write('*2\r\n$4\r\nINFO\r\n$11\r\npersistence\r\n*3\r\n$6\r\nCONFIG\r\n$3\r\nGET\r\n$4\r\nsave\r\n'));
    sock.on('data', (d) => {
      data += d.toString('utf8');
      if (/\r\nsave\r\n\$\d+\r\n[^\r]*\r\n/.test(data) || data.includes('-ERR')) {
        const aof = /aof_enabled:(\d)/.exec(data)?.[1];
        const rdbSaves = /\r\nsave\r\n\$\d+\r\n([^\r]*)\r\n/.exec(data)?.[1];
        done({ aof_enabled: aof === '1', rdb_save: rdbSaves ?? null, persistence: aof === '1' || (rdbSaves ?? '') !== '' ? 'on' : 'none (no AOF, no RDB snapshots): a crash loses every queued job' });
      }
    });
  });
}

function machine() {
  const c = cpus();
  let versions = {};
  for (const p of ['undici', 'bullmq', 'axios', 'typeorm', 'pg', 'better-sqlite3', '@nestjs/core', '@nestjs/axios']) {
    try {
      versions[p] = require(`${p}/package.json`).version;
    } catch {
      try {
        const { readFileSync } = require('node:fs');
        versions[p] = JSON.parse(readFileSync(join(BENCH_DIR, '..', 'node_modules', p, 'package.json'), 'utf8')).version;
      } catch {
        versions[p] = null;
      }
    }
  }
  return { cpu: c[0]?.model ?? 'unknown', cores: c.length, memory_gb: +(totalmem() / 2 ** 30).toFixed(1), os: `${process.platform} ${release()}`, node: process.version, hostname: hostname(), versions };
}

// ----------------------------------------------------------------------------------------------------------
// Reduction of repeated runs and the table.

function groupResults(runs) {
  const groups = {};
  for (const run of runs) (groups[run.group] ??= []).push(run.result);
  const out = {};
  for (const [group, results] of Object.entries(groups)) {
    const ok = results.filter((r) => r && !r.error && !r.skipped);
    if (ok.length === 0) {
      out[group] = results[0];
      continue;
    }
    if (ok[0].per_second !== undefined && ok.length > 1) {
      const rates = ok.map((r) => r.per_second);
      const mid = median(rates);
      const pick = ok.reduce((a, b) => (Math.abs(b.per_second - mid) < Math.abs(a.per_second - mid) ? b : a));
      out[group] = { ...pick, per_second: Math.round(mid), runs: rates };
    } else out[group] = ok[0];
  }
  return out;
}

const fmt = (n, digits = 0) => (typeof n === 'number' && Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : 'n/a');

function buildRows(g) {
  const rows = [];
  const raw = g['raw-undici']?.per_second;
  const rate = (key) => (g[key] && !g[key].error && !g[key].skipped ? g[key].per_second : undefined);
  const why = (key) => (g[key]?.skipped ? `skipped: ${g[key].skipped}` : g[key]?.error ? `error: ${String(g[key].error).split('\n')[0]}` : null);
  const status = (ok) => (ok === undefined ? 'n/a' : ok ? 'pass' : 'MISS');

  rows.push({ figure: 'raw undici POSTs/s (the limit), 64 in flight', value: raw !== undefined ? `${fmt(raw)}/s` : why('raw-undici'), target: '-', ratio: '1.00x raw', result: '-' });
  const peer = rate('bullmq-redis');
  const peerVolatile = rate('bullmq-redis-volatile');
  const peerPg = rate('bullmq-postgres');
  for (const [store, floor] of [
    ['memory', 0.6], // issue 22 (was 0.4)
    ['sqlite', null],
    ['postgres', 0.15],
  ]) {
    for (const per of [8, 64]) {
      const key = `ours-${store}-pe${per}`;
      const v = rate(key);
      const tuned = per === 64;
      const ratio = v !== undefined && raw ? v / raw : undefined;
      let target = '-';
      let ok;
      if (floor !== null && tuned) {
        target = `>= ${floor}x raw`;
        ok = ratio === undefined ? undefined : ratio >= floor;
      }
      const peerNote = tuned && v !== undefined && peer ? `, ${fmt(v / peer, 1)}x BullMQ` : '';
      rows.push({
        figure: `ours, ${store} store, per-endpoint cap ${per}${tuned ? ' (tuned: max_concurrent_per_endpoint=64)' : ' (default)'}`,
        value: v !== undefined ? `${fmt(v)}/s` : why(key),
        target,
        ratio: ratio !== undefined ? `${fmt(ratio, 2)}x raw${peerNote}` : 'n/a',
        result: status(ok),
      });
    }
  }
  // Ordered lanes next to unordered delivery, on one endpoint whose concurrency is the bound.
  for (const store of ['memory', 'postgres']) {
    const key = `ordered-${store}`;
    const o = g[key] && !g[key].error && !g[key].skipped ? g[key] : undefined;
    rows.push({
      figure: o
        ? `ordered lanes, ${store} store: ${fmt(o.keys)} keys x ${fmt(o.per_key)} events to one ordered endpoint (cap ${o.per_endpoint}, receiver answers in ${o.delay_ms} ms: bound ${fmt(o.bound_per_second)}/s)`
        : `ordered lanes, ${store} store`,
      value: o ? `${fmt(o.ordered.per_second)}/s ordered, ${fmt(o.unordered.per_second)}/s unordered (in flight at the receiver: ${o.ordered.receiver_max_in_flight} vs ${o.unordered.receiver_max_in_flight})` : why(key),
      target: '>= 0.9x unordered',
      ratio: o ? `${fmt(o.ordered_vs_unordered, 2)}x unordered` : 'n/a',
      result: status(o ? o.ordered_vs_unordered >= 0.9 : undefined),
    });
  }
  // versus the peer: our best durable figure (PostgreSQL) against BullMQ on Redis.
  const ourPg = rate('ours-postgres-pe64');
  const ourMem = rate('ours-memory-pe64');
  rows.push({
    figure: 'peer: BullMQ on Redis with AOF appendfsync always (no accepted job lost on a crash, as ours) + @nestjs/axios defaults, concurrency 64',
    value: peer !== undefined ? `${fmt(peer)}/s` : why('bullmq-redis'),
    target: 'ours >= 2x',
    ratio: peer !== undefined && ourPg !== undefined ? `ours(pg) ${fmt(ourPg / peer, 2)}x, ours(mem) ${fmt(ourMem / peer, 2)}x` : 'n/a',
    result: status(peer !== undefined && ourPg !== undefined ? ourPg / peer >= 2 : undefined),
  });
  rows.push({
    figure: 'extra peer: the same on Redis without persistence (a crash loses every queued job)',
    value: peerVolatile !== undefined ? `${fmt(peerVolatile)}/s` : why('bullmq-redis-volatile'),
    target: '(info)',
    ratio: peerVolatile !== undefined && ourPg !== undefined ? `ours(pg) ${fmt(ourPg / peerVolatile, 2)}x, ours(mem) ${fmt(ourMem / peerVolatile, 2)}x` : 'n/a',
    result: '-',
  });
  rows.push({
    figure: 'extra peer: BullMQ on its PostgreSQL backend + @nestjs/axios defaults',
    value: peerPg !== undefined ? `${fmt(peerPg)}/s` : why('bullmq-postgres'),
    target: '(info)',
    ratio: peerPg !== undefined && ourPg !== undefined ? `ours(pg) ${fmt(ourPg / peerPg, 2)}x` : 'n/a',
    result: '-',
  });
  for (const [key, label] of [
    ['latency-postgres', 'per-endpoint cap 8 (default)'],
    ['latency-postgres-pe64', 'per-endpoint cap 64 (tuned)'],
  ]) {
    const lat = g[key];
    rows.push({
      figure: `latency dispatch()->receiver at ${fmt(lat?.target_rate ?? 1000)} events/s to one endpoint, PostgreSQL, ${label} (p50 / p95 / p99 / max)`,
      value: lat && !lat.error ? `${fmt(lat.p50_ms, 1)} / ${fmt(lat.p95_ms, 1)} / ${fmt(lat.p99_ms, 1)} / ${fmt(lat.max_ms, 1)} ms${lat.undelivered_at_end ? ` (lower bounds: ${fmt(lat.undelivered_at_end)} of ${fmt(lat.sent)} still undelivered after a ${fmt(lat.drain_ms / 1000)} s drain)` : ''}` : why(key),
      target: 'p99 < 50 ms',
      ratio: lat && !lat.error ? `achieved ${fmt(lat.achieved_rate)}/s` : 'n/a',
      result: status(lat && !lat.error ? lat.p99_ms < 50 : undefined),
    });
  }
  for (const [rate, limit] of [
    [250, 10],
    [1000, 25],
  ]) {
    const l = g[`latency-defaults-${rate}`];
    const ok = l && !l.error;
    rows.push({
      figure: `latency dispatch() called -> received, open loop at ${fmt(rate)} events/s to one endpoint, PostgreSQL, default settings (p50 / p99)`,
      value: ok ? `${fmt(l.p50_ms, 1)} / ${fmt(l.p99_ms, 1)} ms` : why(`latency-defaults-${rate}`),
      target: `p99 < ${limit} ms`,
      ratio: ok ? `achieved ${fmt(l.achieved_rate)}/s` : '-',
      result: status(ok ? l.p99_ms < limit : undefined),
    });
  }
  const lat100 = g['latency-postgres-100'];
  if (lat100) rows.push({
    figure: `latency at ${fmt(lat100?.target_rate ?? 100)} events/s (a rate PostgreSQL keeps up with), same setup`,
    value: lat100 && !lat100.error ? `${fmt(lat100.p50_ms, 1)} / ${fmt(lat100.p95_ms, 1)} / ${fmt(lat100.p99_ms, 1)} / ${fmt(lat100.max_ms, 1)} ms` : why('latency-postgres-100'),
    target: '(info)',
    ratio: lat100 && !lat100.error ? `achieved ${fmt(lat100.achieved_rate)}/s` : 'n/a',
    result: '-',
  });
  const fan = g['fanout-postgres'];
  rows.push({
    figure: `fan-out: 1 event to ${fmt(fan?.subscriptions ?? 10000)} subscriptions, PostgreSQL: persisted (dispatch() returned)`,
    value: fan && !fan.error ? `${fmt(fan.persist_ms)} ms` : why('fanout-postgres'),
    target: '< 1,000 ms',
    ratio: '-',
    result: status(fan && !fan.error ? fan.persist_ms < 1000 : undefined),
  });
  rows.push({
    figure: 'fan-out: ... all delivered',
    value: fan && !fan.error ? (fan.partial ? `${fmt(fan.partial.delivered)} delivered in ${fmt(fan.partial.within_ms / 1000)} s (${fmt(fan.delivered_per_second)}/s; quick mode stops there)` : `${fmt(fan.all_delivered_ms)} ms (${fmt(fan.delivered_per_second)}/s)`) : why('fanout-postgres'),
    target: '(info)',
    ratio: '-',
    result: '-',
  });
  const tx = g['transactional-postgres'];
  const lat4 = (x) => `${fmt(x.p50_ms, 1)} / ${fmt(x.p95_ms, 1)} / ${fmt(x.p99_ms, 1)} / ${fmt(x.max_ms, 1)} ms`;
  rows.push({
    figure: `transactional dispatch on PostgreSQL at ${fmt(tx?.local?.target_rate ?? 1000)} events/s: COMMIT returned -> receiver, same process sends (p50 / p95 / p99 / max)`,
    value: tx && !tx.error ? lat4(tx.local) : why('transactional-postgres'),
    target: 'p99 < 25 ms',
    ratio: tx && !tx.error ? `achieved ${fmt(tx.local.achieved_rate)}/s` : 'n/a',
    result: status(tx && !tx.error ? tx.local.p99_ms < 25 : undefined),
  });
  rows.push({
    figure: `the same at ${fmt(tx?.low?.target_rate ?? 300)} events/s, a rate this machine's PostgreSQL keeps up with (each event is its own caller transaction and COMMIT)`,
    value: tx?.low && !tx.error ? lat4(tx.low) : why('transactional-postgres'),
    target: '(info)',
    ratio: tx?.low && !tx.error ? `caller's transaction p50 / p99: ${fmt(tx.low.transaction_p50_ms, 1)} / ${fmt(tx.low.transaction_p99_ms, 1)} ms (at ${fmt(tx.local.target_rate)}/s: ${fmt(tx.local.transaction_p50_ms, 1)} / ${fmt(tx.local.transaction_p99_ms, 1)} ms)` : 'n/a',
    result: '-',
  });
  rows.push({
    figure: `cross-replica wake-up: COMMIT on A (no room) -> sent by B, woken by NOTIFY, at ${fmt(tx?.cross?.target_rate ?? 200)} events/s (p50 / p95 / p99 / max)`,
    value: tx && !tx.error ? lat4(tx.cross) : why('transactional-postgres'),
    target: 'p99 < 50 ms',
    ratio: tx && !tx.error ? `achieved ${fmt(tx.cross.achieved_rate)}/s` : 'n/a',
    result: status(tx && !tx.error ? tx.cross.p99_ms < 50 : undefined),
  });
  const bc = g['broadcast-postgres'];
  rows.push({
    figure: `broadcast: 1 event to ${fmt(bc?.subscriptions ?? SIZE.broadcast)} subscriptions, PostgreSQL: stored (dispatch() returned)${bc?.subscriptions < 100_000 ? ' (quick mode; full mode uses 100,000)' : ''}`,
    value: bc && !bc.error ? `${fmt(bc.persist_ms)} ms${bc.peak_rss_mb ? `, peak RSS ${fmt(bc.peak_rss_mb)} MB while delivering` : ''}` : why('broadcast-postgres'),
    target: '< 5,000 ms',
    ratio: '-',
    result: status(bc && !bc.error ? bc.persist_ms < 5000 : undefined),
  });
  for (const store of ['memory', 'postgres']) {
    const small = g[`scale-${store}-small`];
    const large = g[`scale-${store}-large`];
    const ok = small && large && !small.error && !large.error;
    rows.push({
      figure: `tenant-scoped dispatch, ${store} store, 1,000 vs ${fmt(large?.subscriptions ?? SIZE.scale)} subscriptions (${fmt(large?.tenants ?? SIZE.scale / 10)} tenants x 10; 2,000 sequential events): dispatch/s, p99`,
      value: ok ? `${fmt(small.dispatch_per_second)}/s, ${fmt(small.p99_ms, 2)} ms vs ${fmt(large.dispatch_per_second)}/s, ${fmt(large.p99_ms, 2)} ms` : why(`scale-${store}-${small?.error ? 'small' : 'large'}`),
      target: 'within 2x',
      ratio: ok ? `${fmt(small.dispatch_per_second / large.dispatch_per_second, 2)}x rate, ${fmt(large.p99_ms / small.p99_ms, 2)}x p99` : 'n/a',
      result: status(ok ? small.dispatch_per_second / large.dispatch_per_second <= 2 && large.p99_ms / small.p99_ms <= 2 : undefined),
    });
    rows.push({
      figure: `one idle replica, ${store} store, 1,000 vs ${fmt(large?.subscriptions ?? SIZE.scale)} subscriptions: SQL queries/s, CPU`,
      value: ok ? `${store === 'postgres' ? `${fmt(small.idle_queries_per_second, 1)} vs ${fmt(large.idle_queries_per_second, 1)} queries/s, ` : ''}${fmt(small.idle_cpu_percent, 2)}% vs ${fmt(large.idle_cpu_percent, 2)}% of a core` : 'n/a',
      target: 'independent of the count',
      ratio: '-',
      result: '-',
    });
    rows.push({
      figure: `RSS of one process with ${fmt(large?.subscriptions ?? SIZE.scale)} subscriptions, ${store} store${store === 'memory' ? ' (the store itself: every subscription in memory)' : ' (the process-local index, loaded in ' + fmt((large?.load_ms ?? 0) / 1000, 1) + ' s)'}`,
      value: ok ? `${fmt(large.rss_mb)} MB (1,000: ${fmt(small.rss_mb)} MB)` : 'n/a',
      target: store === 'postgres' ? '< 500 MB' : '(info)',
      ratio: '-',
      result: store === 'postgres' ? status(ok ? large.rss_mb < 500 : undefined) : '-',
    });
    if (store === 'postgres') {
      rows.push({
        figure: `a subscription deactivated on one replica stops matching on another, ${fmt(large?.subscriptions ?? SIZE.scale)} subscriptions (median / max of 5)`,
        value: ok && large.propagation_ms ? `${fmt(large.propagation_ms.median, 1)} / ${fmt(large.propagation_ms.max, 1)} ms` : 'n/a',
        target: '< 1,000 ms',
        ratio: '-',
        result: status(ok && large.propagation_ms ? large.propagation_ms.max < 1000 : undefined),
      });
    }
  }
  const sc = g['scale-create-postgres'];
  const scOk = sc && !sc.error;
  const scN = fmt(sc?.subscriptions ?? SIZE.scale);
  rows.push({
    figure: `RSS after collections until it stops falling, ${scN} subscriptions on PostgreSQL: the process that created them (createMany, ${fmt(sc?.batch ?? 1000)} per call) vs a fresh replica that loaded them`,
    value: scOk
      ? `${fmt(sc.creating_rss_mb)} MB vs ${fmt(sc.replica_rss_mb)} MB (heap ${fmt(sc.creating_heap_used_mb)} vs ${fmt(sc.replica_heap_used_mb)} MB; after ${sc.creating_collections} vs ${sc.replica_collections} collections; after the first: ${fmt(sc.creating_first_rss_mb)} vs ${fmt(sc.replica_first_rss_mb)} MB, ${fmt(sc.first_ratio, 2)}x; created in ${fmt(sc.create_ms / 1000, 1)} s, loaded in ${fmt(sc.replica_load_ms / 1000, 1)} s)`
      : why('scale-create-postgres'),
    target: 'creating <= 1.5x replica; replica < 500 MB',
    ratio: scOk ? `${fmt(sc.ratio, 2)}x` : '-',
    result: status(scOk ? sc.ratio <= 1.5 && sc.replica_rss_mb < 500 : undefined),
  });
  const smallPg = g['scale-postgres-small'];
  rows.push({
    figure: `tenant-scoped dispatch p99 in the creating process, ${scN} subscriptions on PostgreSQL, vs the 1,000 case (scale-postgres-small)`,
    value: scOk ? `${fmt(sc.p99_ms, 2)} ms (p50 ${fmt(sc.p50_ms, 2)} ms)${smallPg && !smallPg.error ? ` vs ${fmt(smallPg.p99_ms, 2)} ms` : ''}` : why('scale-create-postgres'),
    target: 'within 1.5x of 1,000',
    ratio: scOk && smallPg && !smallPg.error ? `${fmt(sc.p99_ms / smallPg.p99_ms, 2)}x` : '-',
    result: status(scOk && smallPg && !smallPg.error ? sc.p99_ms <= 1.5 * smallPg.p99_ms : undefined),
  });
  const sig = g.signing && !g.signing.error ? g.signing : undefined;
  rows.push({
    figure: `signing cost per delivery, HMAC-SHA256 (v1) vs ed25519 (v1a): WebhookSigner.headers() and verifyWebhook(), µs per call over ${fmt(sig?.ops ?? 20_000)} calls`,
    value: sig ? `sign ${fmt(sig.hmac.sign_us, 1)} vs ${fmt(sig.ed25519.sign_us, 1)} µs; verify ${fmt(sig.hmac.verify_us, 1)} vs ${fmt(sig.ed25519.verify_us, 1)} µs (node:crypto verify with a cached key: ${fmt(sig.ed25519.node_verify_us, 1)} µs)` : why('signing'),
    target: '(info)',
    ratio: sig ? `ed25519 ${fmt(sig.sign_ratio, 1)}x to sign, ${fmt(sig.verify_ratio, 1)}x to verify` : 'n/a',
    result: '-',
  });
  const hmacRate = rate('signing-memory-hmac-sha256');
  const edRate = rate('signing-memory-ed25519');
  rows.push({
    figure: 'memory store sending rate with HMAC vs ed25519 subscriptions (per-endpoint cap 64, same run)',
    value: hmacRate !== undefined && edRate !== undefined ? `${fmt(hmacRate)}/s vs ${fmt(edRate)}/s (CPU ${fmt(g['signing-memory-hmac-sha256'].cpu_us_per_delivery)} vs ${fmt(g['signing-memory-ed25519'].cpu_us_per_delivery)} µs per delivery)` : why(edRate === undefined ? 'signing-memory-ed25519' : 'signing-memory-hmac-sha256'),
    target: '(info)',
    ratio: hmacRate !== undefined && edRate !== undefined ? `ed25519 ${fmt(edRate / hmacRate, 2)}x HMAC` : 'n/a',
    result: '-',
  });
  const hist = g['history-postgres'];
  if (hist && !hist.error && hist.sizes) {
    const [small, large] = hist.sizes;
    for (const s of hist.sizes) {
      rows.push({ figure: `claim 100 due deliveries, ${fmt(s.history)} past attempts (median of ${s.repeats})${s === large && s.history < 1_000_000 ? ' (quick mode; full mode uses 1,000,000)' : ''}`, value: `${fmt(s.median_ms, 2)} ms`, target: s === large ? '<= 2x the 1,000 case' : '-', ratio: s === large ? `${fmt(large.median_ms / small.median_ms, 2)}x${large.explain?.buffers && small.explain?.buffers ? ` (pages touched: ${fmt(small.explain.buffers)} -> ${fmt(large.explain.buffers)})` : ''}` : '-', result: s === large ? status(large.median_ms <= 2 * small.median_ms) : '-' });
    }
  } else rows.push({ figure: 'claim 100 due deliveries vs history', value: why('history-postgres'), target: '<= 2x', ratio: 'n/a', result: 'n/a' });
  const st = g['stats-postgres'];
  const quickNote = st?.attempts < 1_000_000 ? ' (quick mode; full mode uses 1,000,000)' : '';
  const slowest = (prefix) => st?.queries?.filter((q) => q.query.startsWith(prefix)).reduce((a, b) => (b.p95_ms > a.p95_ms ? b : a));
  for (const [prefix, label] of [
    ['stats', 'endpoint stats (GET .../stats, computed in the store)'],
    ['dashboard', 'dashboard list queries (subscriptions and attempts pages, filters)'],
  ]) {
    const q = st && !st.error ? slowest(prefix) : null;
    rows.push({
      figure: `${label}, ${fmt(st?.attempts ?? SIZE.statsAttempts)} attempts in the last 24 h and ${fmt(st?.subscriptions ?? 10_000)} subscriptions, PostgreSQL: slowest p95 of ${fmt(st?.repeats ?? 30)} runs${quickNote}`,
      value: q ? `${fmt(q.p95_ms, 1)} ms (${q.query}; p50 ${fmt(q.p50_ms, 1)} ms)` : why('stats-postgres'),
      target: '< 100 ms',
      ratio: '-',
      result: status(q ? q.p95_ms < 100 : undefined),
    });
  }
  for (const store of ['memory', 'postgres']) {
    const m = g[`memory-${store}`];
    rows.push({
      figure: `peak RSS, ${fmt(m?.pending ?? (store === 'memory' ? SIZE.pendingMemory : SIZE.pendingPg))} pending for a slow endpoint (1 s/answer), ${store} store${m?.preseeded ? ` (${fmt(m.pending - m.preseeded)} dispatched while sampled, ${fmt(m.preseeded)} inserted by SQL before)` : ''}`,
      value: m && !m.error ? `${fmt(m.peak_rss_mb)} MB (baseline ${fmt(m.baseline_rss_mb)} MB${m.live_bytes_per_pending ? `; ${fmt(m.live_bytes_per_pending)} B live heap per pending` : ''})` : why(`memory-${store}`),
      target: '< 300 MB',
      ratio: '-',
      result: status(m && !m.error ? m.peak_rss_mb < 300 : undefined),
    });
  }
  return rows;
}

/** CPU time of the sending process per delivery: less sensitive to a busy machine than the rates. */
function cpuTable(g) {
  const keys = ['raw-undici', 'ours-memory-pe64', 'ours-sqlite-pe64', 'ours-postgres-pe64', 'ours-memory-pe8', 'ours-sqlite-pe8', 'ours-postgres-pe8', 'bullmq-redis', 'bullmq-redis-volatile', 'bullmq-postgres'];
  const raw = g['raw-undici']?.cpu_us_per_delivery;
  const lines = ['| contender | CPU of the sending process per delivery | x raw | SQL round trips per delivery | deliveries per claim |', '| --- | --- | --- | --- | --- |'];
  for (const k of keys) {
    const r = g[k];
    if (!r || r.error || r.skipped || r.cpu_us_per_delivery === undefined) continue;
    lines.push(`| ${k} | ${fmt(r.cpu_us_per_delivery)} µs | ${raw ? fmt(r.cpu_us_per_delivery / raw, 1) + 'x' : 'n/a'} | ${r.sql_round_trips_per_delivery ?? '-'} | ${r.rows_per_claim ?? '-'} |`);
  }
  return lines.join('\n');
}

function markdownTable(rows) {
  const head = '| figure | value | target | ratio | result |\n| --- | --- | --- | --- | --- |';
  return [head, ...rows.map((r) => `| ${r.figure} | ${r.value ?? 'n/a'} | ${r.target} | ${r.ratio} | ${r.result} |`)].join('\n');
}

// ----------------------------------------------------------------------------------------------------------

/**
 * The build the scenarios load. Other work on this machine may rebuild dist/ (rm -rf) while the bench runs, so
 * a private copy is taken first (under node_modules/.cache, where the package's dependencies still resolve).
 */
let snapshotDir = null;
let baseDir = null;
let baseEntry = null;
/** A private copy of `<dir>/dist` for the baseline side of a paired run. */
function snapshotBaseline(dir) {
  const dist = join(dir, 'dist');
  if (!existsSync(join(dist, 'index.js'))) throw new Error(`--baseline: ${dist}/index.js not found: build that checkout first (cd ${dir} && npm run build)`);
  baseDir = join(BENCH_DIR, '..', 'node_modules', '.cache', 'webhook-bench', `base-${process.pid}`);
  rmSync(baseDir, { recursive: true, force: true });
  cpSync(dist, baseDir, { recursive: true });
  return join(baseDir, 'index.js');
}

function snapshotLibrary() {
  if (process.env.WEBHOOK_BENCH_DIST) return process.env.WEBHOOK_BENCH_DIST;
  const dist = join(BENCH_DIR, '..', 'dist');
  if (!existsSync(join(dist, 'index.js'))) throw new Error('dist/index.js not found: run `npm run build` first (npm run bench does)');
  snapshotDir = join(BENCH_DIR, '..', 'node_modules', '.cache', 'webhook-bench', `dist-${process.pid}`);
  rmSync(snapshotDir, { recursive: true, force: true });
  cpSync(dist, snapshotDir, { recursive: true });
  return join(snapshotDir, 'index.js');
}

async function main() {
  const started = Date.now();
  process.env.WEBHOOK_BENCH_DIST = snapshotLibrary();
  if (BASELINE) baseEntry = snapshotBaseline(BASELINE);
  const list = scenarios();
  if (BASELINE) return paired(list, started);
  process.stderr.write(`bench (${MODE} mode): ${list.length} scenario runs${PROFILE ? ', profiling' : ''}\n`);
  if (PROFILE || CPU_PROF) mkdirSync(PROFILE_DIR, { recursive: true });
  const loadAtStart = loadavg()[0];
  const env = { machine: machine(), postgres: await pgSettings().catch((e) => ({ error: e.message })), redis: await redisInfo() };
  const runs = [];
  for (const s of list) {
    process.stderr.write(`- ${s.id} ...\n`);
    const result = await runOne(s);
    if (result?.error) process.stderr.write(`  ERROR: ${String(result.error).split('\n').slice(0, 3).join(' | ')}\n`);
    if (result?.skipped) process.stderr.write(`  skipped: ${result.skipped}\n`);
    else if (result && !result.error) process.stderr.write(`  ${JSON.stringify(result)}\n`);
    runs.push({ id: s.id, group: s.group, args: s.args, result });
  }
  const grouped = groupResults(runs);
  const rows = buildRows(grouped);
  const table = markdownTable(rows);
  const wallSeconds = Math.round((Date.now() - started) / 1000);
  const m = env.machine;
  env.load_average = { start: +loadAtStart.toFixed(2), end: +loadavg()[0].toFixed(2) };
  const machineLine = `${m.cores} x ${m.cpu}, ${m.memory_gb} GB RAM, ${m.os}, Node ${m.node}; 1-minute load average ${env.load_average.start} at start, ${env.load_average.end} at end (other work shares this machine); PostgreSQL ${env.postgres.server_version ?? '?'} (fsync=${env.postgres.fsync}, synchronous_commit=${env.postgres.synchronous_commit}); Redis persistence as installed: ${env.redis?.persistence ?? 'unknown'}`;
  const command = QUICK ? 'npm run bench:quick' : 'npm run bench';
  const notes = [
    `All figures come from one run of \`${command}\` on one machine (${new Date().toISOString()}, ${wallSeconds} s wall time): ${machineLine}.`,
    `Receiver: a keep-alive node:http server on 127.0.0.1 in its own process, answering 200 at once (1 s later for the memory figures). Body: a ${grouped['raw-undici']?.body_bytes ?? '~330'}-byte JSON order event.`,
    `Throughput: ${PRODUCERS} concurrent dispatch() callers, max_concurrent_deliveries=${CONCURRENCY} (raw undici: ${CONCURRENCY} in flight; BullMQ: Worker concurrency ${CONCURRENCY}); every delivery is signed (Standard Webhooks), its attempt logged and its state stored by the store (memory: in process; SQLite: a WAL file with synchronous=${grouped['ours-sqlite-pe64']?.sqlite?.synchronous ?? 'FULL'}; PostgreSQL: fsync and synchronous_commit on), and dispatch() returns only once its event is stored. Time runs from the first dispatch() until the last delivery is stored as delivered.${SIZE.reps > 1 ? ` Throughput figures are the median of ${SIZE.reps} runs.` : ''}`,
    'With a single endpoint the per-endpoint cap (`max_concurrent_per_endpoint`, default 8) bounds the in-flight sends; the tuned rows raise it to 64 (the same 64 in flight as raw undici and BullMQ) and are the ones checked against the targets.',
    `BullMQ peer: Queue.add() per event with { attempts: 5, backoff: exponential } (the retry policy we apply), a Worker with concurrency 64 that signs with node:crypto and POSTs through HttpService from @nestjs/axios with axios defaults; jobs are durable only as far as Redis is, so the peer row runs with Redis switched to AOF with appendfsync always for the run (every write synced before Redis acknowledges it, as PostgreSQL commits ours; the settings are put back after), and the extra row on Redis as installed (${env.redis?.persistence ?? 'unknown'}).`,
  ];
  const text = `## Benchmark results (${MODE} mode)\n\n${table}\n\n${notes.map((n) => `- ${n}`).join('\n')}\n\n### CPU cost per delivery (same runs)\n\n${cpuTable(grouped)}\n`;
  console.log('\n' + text);
  if (WRITE) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    const json = { mode: MODE, started_at: new Date(started).toISOString(), wall_seconds: wallSeconds, command, env, rows, grouped, runs };
    writeFileSync(join(RESULTS_DIR, 'latest.json'), JSON.stringify(json, null, 2));
    writeFileSync(join(RESULTS_DIR, `${MODE}.json`), JSON.stringify(json, null, 2));
    writeFileSync(join(BENCH_DIR, 'RESULTS.md'), `# Benchmark results\n\nWritten by \`bench/run.mjs\`; see docs/performance.md for how to read it.\n\n${text}`);
    process.stderr.write(`wrote bench/results/latest.json and bench/RESULTS.md (${wallSeconds} s)\n`);
  }
}

/**
 * `--baseline`: each scenario runs for this build and for the baseline, back to back (which goes first alternates
 * per repetition),
 * so both sides see the same machine; the rows of each side are built as usual and shown side by side.
 */
async function paired(list, started) {
  process.stderr.write(`bench (${MODE} mode, paired with ${BASELINE}): ${2 * list.length} scenario runs${PROFILE ? ', profiling' : ''}\n`);
  if (PROFILE || CPU_PROF) mkdirSync(PROFILE_DIR, { recursive: true });
  const runs = { base: [], ours: [] };
  // Which side goes first alternates per repetition of a group (the first run of a pair was measured slower on a
  // busy machine, so a fixed order would favour one side in every repetition).
  const turns = {};
  for (const s of list) {
    const k = (turns[s.group] = (turns[s.group] ?? -1) + 1);
    for (const side of k % 2 === 0 ? ['base', 'ours'] : ['ours', 'base']) {
      process.stderr.write(`- ${s.id} (${side}) ...\n`);
      const result = await runOne(s, side === 'base' ? 'base' : null);
      if (result?.error) process.stderr.write(`  ERROR: ${String(result.error).split('\n').slice(0, 3).join(' | ')}\n`);
      else if (result && !result.skipped) process.stderr.write(`  ${JSON.stringify(result)}\n`);
      runs[side].push({ id: s.id, group: s.group, args: s.args, result });
    }
  }
  const grouped = { base: groupResults(runs.base), ours: groupResults(runs.ours) };
  const before = buildRows(grouped.base);
  const after = buildRows(grouped.ours);
  const lines = ['| figure | before (baseline) | after (this build) | target | ratio before -> after | result after |', '| --- | --- | --- | --- | --- | --- |'];
  after.forEach((row, i) => {
    // Rows of scenarios left out by --only have no value on either side.
    const none = (v) => v == null || v === 'n/a';
    if (none(row.value) && none(before[i]?.value)) return;
    lines.push(`| ${row.figure} | ${before[i]?.value ?? 'n/a'} | ${row.value ?? 'n/a'} | ${row.target} | ${before[i]?.ratio ?? 'n/a'} -> ${row.ratio} | ${row.result} |`);
  });
  const wallSeconds = Math.round((Date.now() - started) / 1000);
  const m = machine();
  const text = `## Paired run (${MODE} mode): baseline ${BASELINE} vs this build\n\n${lines.join('\n')}\n\n- One run of \`node bench/run.mjs ${argv.join(' ')}\` (${new Date().toISOString()}, ${wallSeconds} s wall time): ${m.cores} x ${m.cpu}, Node ${m.node}, 1-minute load average ${loadavg()[0].toFixed(2)} at end.\n\n### CPU cost per delivery, before\n\n${cpuTable(grouped.base)}\n\n### CPU cost per delivery, after\n\n${cpuTable(grouped.ours)}\n`;
  console.log('\n' + text);
  if (WRITE) {
    mkdirSync(RESULTS_DIR, { recursive: true });
    writeFileSync(join(RESULTS_DIR, 'paired.json'), JSON.stringify({ mode: MODE, baseline: BASELINE, started_at: new Date(started).toISOString(), wall_seconds: wallSeconds, grouped, runs, before, after }, null, 2));
    writeFileSync(join(RESULTS_DIR, 'PAIRED.md'), `# Paired benchmark\n\n${text}`);
    process.stderr.write(`wrote bench/results/paired.json and bench/results/PAIRED.md (${wallSeconds} s)\n`);
  }
}

async function cleanup() {
  await Promise.all([...children].map((c) => stopChild(c, 1000)));
  if (snapshotDir) rmSync(snapshotDir, { recursive: true, force: true });
  if (baseDir) rmSync(baseDir, { recursive: true, force: true });
}

process.on('SIGINT', () => cleanup().then(() => process.exit(130)));
process.on('SIGTERM', () => cleanup().then(() => process.exit(143)));

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(cleanup);
