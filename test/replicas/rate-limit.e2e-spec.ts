import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { generateWebhookSecret } from '../../lib';
import { TypeOrmSubscriptionStore, WEBHOOK_MIGRATIONS, WebhookDataSourceRef } from '../../lib/typeorm';
import { createTestDataSource, describeIfDatabase, testNamespace } from '../support/databases';
import { waitFor } from '../support/receiver';

const SCHEMA = 'webhook_replicas_rate';
const REPLICA = join(process.cwd(), 'test/replicas/replica.cjs');
const LIMIT = 50;
const EVENTS_PER_REPLICA = 200;

/** Records when each request arrived (headers and body in), by webhook-id; answers 200 at once. */
class TimingReceiver {
  readonly arrivals: number[] = [];
  readonly ids = new Map<string, number>();
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.arrivals.push(performance.now());
        const id = String(req.headers['webhook-id']);
        this.ids.set(id, (this.ids.get(id) ?? 0) + 1);
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Most requests in any one-second window [t, t + 1000 ms), over every arrival t. */
  busiestSecond(): number {
    const times = [...this.arrivals].sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j] - times[i] >= 1000) i++;
      most = Math.max(most, j - i + 1);
    }
    return most;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

interface Replica {
  child: ChildProcess;
  accepted: Set<string>;
  dispatched: Promise<void>;
}

describeIfDatabase('postgres', 'rate limit over three replicas in separate processes (PostgreSQL)', () => {
  let ds: DataSource;
  let receiver: TimingReceiver;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    if (!existsSync(join(process.cwd(), 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does it in pretest)');
    ds = await createTestDataSource('postgres', { namespace: SCHEMA, migrations: WEBHOOK_MIGRATIONS, synchronize: false });
    receiver = new TimingReceiver();
    await receiver.start();
    await new TypeOrmSubscriptionStore(WebhookDataSourceRef.of(ds)).create({
      subscription_id: 'sub-limited',
      url: `http://127.0.0.1:${receiver.port}/hook`,
      secret: generateWebhookSecret(),
      event_types: null,
      active: true,
      description: null,
      tenant_id: null,
      created_at: new Date(),
      metadata: {},
      rate_limit_per_second: LIMIT,
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(
      replicas.map(async (r) => {
        if (r.child.exitCode !== null || r.child.signalCode !== null) return;
        const exited = new Promise((resolve) => r.child.once('exit', resolve));
        r.child.send({ cmd: 'exit' });
        await exited;
      }),
    );
    await receiver?.close();
    await ds?.destroy();
  }, 30_000);

  async function startReplica(): Promise<Replica> {
    const user = (ds.options as { username: string }).username;
    const child = fork(REPLICA, [], { env: { ...process.env, PG_SCHEMA: testNamespace(SCHEMA), PG_USER: user, PG_APP_NAME: testNamespace('webhook-replica-rate') }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let dispatched!: () => void;
    const replica: Replica = { child, accepted: new Set(), dispatched: new Promise<void>((resolve) => (dispatched = resolve)) };
    await new Promise<void>((resolve, reject) => {
      child.on('message', (m: { type: string; id?: string }) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'accepted') replica.accepted.add(m.id!);
        else if (m.type === 'dispatched') dispatched();
      });
      child.once('exit', (code) => reject(new Error(`replica exited with ${code} before it was ready`)));
    });
    replicas.push(replica);
    return replica;
  }

  it(`600 events to an endpoint limited to ${LIMIT}/s: at most ${Math.round(LIMIT * 1.1)} in any one-second window, and all arrive`, async () => {
    const three = await Promise.all([startReplica(), startReplica(), startReplica()]);
    three.forEach((r, i) => r.child.send({ cmd: 'dispatch', ids: Array.from({ length: EVENTS_PER_REPLICA }, (_, n) => `rate-${i}-${n}`) }));
    await Promise.all(three.map((r) => r.dispatched));
    const accepted = three.flatMap((r) => [...r.accepted]);
    expect(accepted).toHaveLength(600);
    const started = performance.now();
    await waitFor(() => accepted.every((id) => receiver.ids.has(id)), 'all 600 events delivered', 90_000, 100);
    const seconds = (performance.now() - started) / 1000;
    const busiest = receiver.busiestSecond();
    console.log(`rate limit ${LIMIT}/s over 3 replicas: 600 delivered in ${seconds.toFixed(1)} s, busiest one-second window ${busiest} requests`);
    expect(busiest).toBeLessThanOrEqual(LIMIT * 1.1);
    // the limit is a ceiling, not a crawl: 600 at 50/s take 12 s
    expect(seconds).toBeLessThan(30);
    // every delivery went out once (the limit only spaced them)
    expect([...receiver.ids.values()].every((n) => n === 1)).toBe(true);
  }, 150_000);
});
