import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

/** The script each replica runs: a host app on the built package (dist/), driven over IPC. */
export const REPLICA_SCRIPT = join(process.cwd(), 'test/replicas/replica.cjs');

/** One replica process and what it has told the test. */
export interface Replica {
  child: ChildProcess;
  /** Event ids whose dispatch() resolved. */
  accepted: Set<string>;
  /** Messages of dispatch() calls that threw. */
  errors: string[];
  /** Resolves when the replica reports its current batch of dispatches done. */
  dispatched: () => Promise<void>;
}

/** Forks a replica with `env` added to this process's, and resolves once it is ready. */
export async function startReplica(env: Record<string, string>): Promise<Replica> {
  const child = fork(REPLICA_SCRIPT, [], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const replica: Replica = { child, accepted: new Set(), errors: [], dispatched: () => Promise.resolve() };
  let onDispatched: (() => void) | null = null;
  replica.dispatched = () => new Promise<void>((resolve) => (onDispatched = resolve));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (m: { type: string; id?: string; message?: string }) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'accepted') replica.accepted.add(m.id!);
      else if (m.type === 'dispatch-error') replica.errors.push(m.message!);
      else if (m.type === 'dispatched') onDispatched?.();
    });
    child.once('exit', (code) => reject(new Error(`replica exited with ${code} before it was ready`)));
  });
  return replica;
}

/** Asks a replica to close its app and exit; resolves when it has. */
export async function stopReplica(r: Replica): Promise<void> {
  if (r.child.exitCode !== null || r.child.signalCode !== null) return;
  const exited = new Promise((resolve) => r.child.once('exit', resolve));
  r.child.send({ cmd: 'exit' });
  await exited;
}

/**
 * The replicas' receiver: counts deliveries per webhook-id and notes when each arrived (headers and body in);
 * answers 200 after `delayMs`.
 */
export class CountingReceiver {
  /** performance.now() of each arrival. */
  readonly arrivals: number[] = [];
  readonly counts = new Map<string, number>();
  delayMs = 5;
  private server!: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.arrivals.push(performance.now());
        const id = String(req.headers['webhook-id']);
        setTimeout(() => {
          this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
          res.writeHead(200).end();
        }, this.delayMs);
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Most requests that arrived in any one-second window [t, t + 1000 ms). */
  busiestSecond(): number {
    const times = [...this.arrivals].sort((a, b) => a - b);
    let most = 0;
    for (let i = 0, j = 0; j < times.length; j++) {
      while (times[j] - times[i] >= 1000) i++;
      most = Math.max(most, j - i + 1);
    }
    return most;
  }

  duplicates(): number {
    let n = 0;
    for (const c of this.counts.values()) n += c - 1;
    return n;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
