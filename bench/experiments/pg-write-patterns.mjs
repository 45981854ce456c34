// Experiment (not part of `npm run bench`): how many deliveries per second can PostgreSQL on this machine carry
// with the SQL the TypeORM store sends today, versus the same work batched, with no HTTP, no TypeORM and no
// Nest. Same tables (the library's migration), same durability (every dispatch() committed before it returns,
// synchronous_commit on).
//
//   node bench/experiments/pg-write-patterns.mjs [count]
//
// per-delivery: dispatch = SELECT subscriptions + BEGIN/INSERT event/INSERT delivery/COMMIT; claim = BEGIN/
//   SELECT .. FOR UPDATE SKIP LOCKED/UPDATE/SELECT deliveries/SELECT events/COMMIT (+ SELECT subscription);
//   complete = BEGIN/INSERT attempt/UPDATE delivery/COMMIT, one per delivery (what the store does now).
// batched: concurrent dispatch() calls share one statement and one commit (group commit in the app); a claim is
//   one UPDATE .. WHERE id IN (SELECT .. FOR UPDATE SKIP LOCKED) RETURNING joined with the event; completions
//   finished meanwhile are written by one statement (INSERT attempts + UPDATE deliveries FROM VALUES).
import { randomUUID } from 'node:crypto';
import { PG, dropSchema, freshSchema, loadLibrary, nowMs, pgDataSourceOptions, require } from '../lib/common.mjs';

const COUNT = Number(process.argv[2] ?? 3000);
const PRODUCERS = 16;
const IN_FLIGHT = 64;
const schema = 'webhook_bench_experiment';
const s = `"${schema}"`;

const lib = loadLibrary();
const { DataSource } = require('typeorm');
const { Pool } = require('pg');

async function setup() {
  await freshSchema(schema);
  const ds = new DataSource(pgDataSourceOptions(lib, schema));
  await ds.initialize();
  await ds.destroy();
  const pool = new Pool({ ...PG, max: 10, options: `-c search_path=${schema}` });
  await pool.query(`INSERT INTO ${s}.webhook_subscriptions (subscription_id, url, secret, event_types, active, description, tenant_id, created_at, metadata) VALUES ('sub-1', 'http://127.0.0.1/hook', 'whsec_x', '["order.paid"]', true, NULL, NULL, now(), '{}')`);
  return pool;
}

const body = JSON.stringify({ event_id: 'x', event_type: 'order.paid', payload: { order_id: 'ord_1', amount: 4200, items: [1, 2, 3] } }).padEnd(330, ' ');

// ---------------------------------------------------------------------------------------------------------

async function perDelivery(pool) {
  let queries = 0;
  const q = (client, sql, params) => (queries++, client.query(sql, params));
  const dispatch = async () => {
    await q(pool, `SELECT * FROM webhook_subscriptions s WHERE s.active = true AND (s.event_types IS NULL OR s.event_types LIKE $1) ORDER BY s.created_at, s.subscription_id LIMIT 500`, ['%"order.paid"%']);
    const c = await pool.connect();
    try {
      const id = randomUUID();
      await q(c, 'BEGIN');
      await q(c, `INSERT INTO webhook_events (event_id, event_type, body, occurred_at, source, created_at) VALUES ($1, 'order.paid', $2, now(), NULL, now())`, [id, JSON.stringify({ text: body })]);
      await q(c, `INSERT INTO webhook_deliveries (delivery_id, event_id, subscription_id, event_type, status, attempts, next_attempt_at, created_at, updated_at) VALUES ($1, $2, 'sub-1', 'order.paid', 'pending', 0, now() - interval '1 second', now(), now())`, [randomUUID(), id]);
      await q(c, 'COMMIT');
    } finally {
      c.release();
    }
  };
  const claim = async (n) => {
    const c = await pool.connect();
    try {
      await q(c, 'BEGIN ISOLATION LEVEL READ COMMITTED');
      const picked = await q(c, `SELECT delivery_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until <= now()) ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED`, [n]);
      const ids = picked.rows.map((r) => r.delivery_id);
      if (ids.length === 0) {
        await q(c, 'COMMIT');
        return [];
      }
      await q(c, `UPDATE webhook_deliveries SET locked_until = now() + interval '60 seconds', locked_by = 'w' WHERE delivery_id = ANY($1)`, [ids]);
      const rows = (await q(c, `SELECT * FROM webhook_deliveries WHERE delivery_id = ANY($1)`, [ids])).rows;
      await q(c, `SELECT * FROM webhook_events WHERE event_id = ANY($1)`, [rows.map((r) => r.event_id)]);
      await q(c, 'COMMIT');
      await q(pool, `SELECT * FROM webhook_subscriptions WHERE subscription_id = 'sub-1'`);
      return ids;
    } finally {
      c.release();
    }
  };
  const complete = async (id) => {
    const c = await pool.connect();
    try {
      await q(c, 'BEGIN');
      await q(c, `INSERT INTO webhook_delivery_attempts (attempt_id, subscription_id, event_id, event_type, status, status_code, attempt_number, attempted_at, duration_ms) VALUES ($1, 'sub-1', 'e', 'order.paid', 'delivered', 200, 1, now(), 3)`, [randomUUID()]);
      await q(c, `UPDATE webhook_deliveries SET status = 'delivered', attempts = 1, locked_by = NULL, locked_until = NULL, updated_at = now() WHERE delivery_id = $1 AND locked_by = 'w'`, [id]);
      await q(c, 'COMMIT');
    } finally {
      c.release();
    }
  };
  return { dispatch, claim, complete: (id) => complete(id), queries: () => queries };
}

async function batched(pool) {
  let queries = 0;
  const q = (sql, params) => (queries++, pool.query(sql, params));
  // Group commit of dispatch(): calls arriving while a flush runs go together in the next one.
  let queue = [];
  let flushing = null;
  const flush = async () => {
    while (queue.length) {
      const batch = queue;
      queue = [];
      const ids = batch.map(() => randomUUID());
      try {
        await q(
          `WITH e AS (INSERT INTO webhook_events (event_id, event_type, body, occurred_at, source, created_at)
             SELECT id, 'order.paid', json_build_object('text', $2::text), now(), NULL, now() FROM unnest($1::text[]) id
             ON CONFLICT (event_id) DO NOTHING RETURNING event_id)
           INSERT INTO webhook_deliveries (delivery_id, event_id, subscription_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
             SELECT gen_random_uuid()::text, e.event_id, s.subscription_id, 'order.paid', 'pending', 0, now() - interval '1 second', now(), now()
             FROM e CROSS JOIN webhook_subscriptions s WHERE s.active AND (s.event_types IS NULL OR s.event_types LIKE '%"order.paid"%')`,
          [ids, body],
        );
        for (const b of batch) b.resolve();
      } catch (err) {
        for (const b of batch) b.reject(err);
      }
    }
    flushing = null;
  };
  const dispatch = () =>
    new Promise((resolve, reject) => {
      queue.push({ resolve, reject });
      if (!flushing) flushing = flush();
    });
  const claim = async (n) => {
    const r = await q(
      `UPDATE webhook_deliveries d SET locked_until = now() + interval '60 seconds', locked_by = 'w', updated_at = now()
       FROM (SELECT delivery_id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= now() AND (locked_until IS NULL OR locked_until <= now())
             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) p, webhook_events e
       WHERE d.delivery_id = p.delivery_id AND e.event_id = d.event_id
       RETURNING d.delivery_id, d.event_id, d.subscription_id, d.attempts, e.body`,
      [n],
    );
    return r.rows.map((x) => x.delivery_id);
  };
  let done = [];
  let writing = null;
  const write = async () => {
    while (done.length) {
      const batch = done;
      done = [];
      await q(
        `WITH a AS (INSERT INTO webhook_delivery_attempts (attempt_id, subscription_id, event_id, event_type, status, status_code, attempt_number, attempted_at, duration_ms)
           SELECT gen_random_uuid()::text, 'sub-1', 'e', 'order.paid', 'delivered', 200, 1, now(), 3 FROM unnest($1::text[]))
         UPDATE webhook_deliveries d SET status = 'delivered', attempts = 1, locked_by = NULL, locked_until = NULL, updated_at = now()
         WHERE d.delivery_id = ANY($1) AND d.locked_by = 'w'`,
        [batch.map((b) => b.id)],
      );
      for (const b of batch) b.resolve();
    }
    writing = null;
  };
  const complete = (id) =>
    new Promise((resolve) => {
      done.push({ id, resolve });
      if (!writing) writing = write();
    });
  return { dispatch, claim, complete, queries: () => queries };
}

async function run(name, make) {
  const pool = await setup();
  const impl = await make(pool);
  let delivered = 0;
  let running = 0;
  let producing = true;
  const t0 = nowMs();
  // Worker: keep IN_FLIGHT "sends" (a setImmediate each) going, claim when at least a quarter is free.
  const worker = (async () => {
    while (delivered < COUNT) {
      const room = IN_FLIGHT - running;
      const ids = room >= IN_FLIGHT / 4 || running === 0 ? await impl.claim(room) : [];
      for (const id of ids) {
        running++;
        setImmediate(() => impl.complete(id).then(() => (running--, delivered++)));
      }
      if (ids.length === 0) await new Promise((r) => setTimeout(r, producing ? 1 : 5));
      if (nowMs() - t0 > 120_000) throw new Error(`${name}: only ${delivered} of ${COUNT} within 120 s`);
    }
  })();
  let next = 0;
  await Promise.all(Array.from({ length: PRODUCERS }, async () => {
    while (next < COUNT) {
      next++;
      await impl.dispatch();
    }
  }));
  const tDispatched = nowMs();
  producing = false;
  await worker;
  const elapsed = nowMs() - t0;
  console.log(`${name.padEnd(13)} ${Math.round(COUNT / (elapsed / 1000))} deliveries/s  (dispatch ${Math.round(COUNT / ((tDispatched - t0) / 1000))}/s, ${(impl.queries() / COUNT).toFixed(2)} SQL round trips per delivery)`);
  await pool.end();
}

try {
  await run('per-delivery', perDelivery);
  await run('batched', batched);
  await run('per-delivery', perDelivery);
  await run('batched', batched);
} finally {
  await dropSchema(schema);
}
