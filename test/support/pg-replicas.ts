import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { WebhookModuleOptions } from '../../lib';
import { testNamespace } from './databases';

const SCRIPT = join(process.cwd(), 'test/support/pg-replica.cjs');

/** A host-app process on PostgreSQL (test/support/pg-replica.cjs), driven over IPC. */
export interface PgReplica {
  name: string;
  child: ChildProcess;
  /** The PostgreSQL application_name of its pool; its LISTEN connection is this + " (webhooks listener)". */
  appName: string;
  /** Sends a command and resolves with the first reply of type `reply`. */
  request<R = { id: string; at: number; delivery_count?: number }>(msg: object, reply: string): Promise<R>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

/**
 * Starts a replica on the schema `schema` (a test namespace) as `pgUser`, with `options` over the script's
 * defaults and `user_agent: replica-<name>` (so a receiver sees which replica sent). Resolves once it is ready;
 * `running` (if given) tracks it until it is killed.
 */
export async function startPgReplica(name: string, schema: string, pgUser: string, options: WebhookModuleOptions = {}, running?: Set<PgReplica>): Promise<PgReplica> {
  const appName = testNamespace(`webhook-${name}`);
  const child = fork(SCRIPT, [], {
    env: { ...process.env, PG_SCHEMA: testNamespace(schema), PG_USER: pgUser, PG_APP_NAME: appName, WEBHOOK_OPTIONS: JSON.stringify({ user_agent: `replica-${name}`, ...options }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting = new Map<string, (m: never) => void>();
  child.on('message', (m: { type: string; message?: string }) => {
    if (m.type === 'error') throw new Error(`replica ${name}: ${m.message}`);
    waiting.get(m.type)?.(m as never);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    waiting.set('ready', () => resolve());
    child.once('exit', (code) => reject(new Error(`replica ${name} exited with ${code} before it was ready`)));
  });
  const replica: PgReplica = {
    name,
    child,
    appName,
    request: <R>(msg: object, reply: string) =>
      new Promise<R>((resolve) => {
        waiting.set(reply, resolve as (m: never) => void);
        child.send(msg);
      }),
    kill: async () => {
      running?.delete(replica);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  running?.add(replica);
  return replica;
}
