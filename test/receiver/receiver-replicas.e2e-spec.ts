import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { TypeOrmModule } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { generateWebhookSecret, WebhookReceiverModule } from '../../lib';
import { signStandardWebhooks } from '../../lib/signing/signature';
import { TypeOrmReplayStore, WEBHOOK_RECEIVER_ENTITIES, WEBHOOK_RECEIVER_MIGRATIONS } from '../../lib/typeorm';
import { WebhookReceiverReplayEntity } from '../../lib/receiver/typeorm';
import { closeTestDataSource, createTestDataSource, describeIfDatabase } from '../support/databases';
import { post, startReceiverApp, type ReceiverApp } from './receiver-test-app';

const SECRET = generateWebhookSecret();

/** Standard Webhooks headers for `body`. */
function signed(body: string): Record<string, string> {
  const id = `msg_${randomUUID()}`;
  const ts = Math.floor(Date.now() / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signStandardWebhooks(SECRET, id, ts, body) };
}

/**
 * Two replicas of a receiver app, each with its own TypeORM connection to one PostgreSQL schema and the
 * TypeOrmReplayStore wired as the README shows (forRootAsync, inject DataSource).
 */
describeIfDatabase('postgres', 'two receiver replicas sharing PostgreSQL through TypeOrmReplayStore', () => {
  let setup: DataSource;
  const replicas: ReceiverApp[] = [];

  beforeAll(async () => {
    // creates the schema and runs the receiver's migration
    setup = await createTestDataSource('postgres', { namespace: 'receiver_replicas', entities: WEBHOOK_RECEIVER_ENTITIES, migrations: WEBHOOK_RECEIVER_MIGRATIONS });
    const connection = { ...setup.options, entities: WEBHOOK_RECEIVER_ENTITIES, migrations: [], migrationsRun: false, dropSchema: false, synchronize: false } as DataSourceOptions;
    for (let i = 0; i < 2; i++) {
      replicas.push(
        await startReceiverApp(
          WebhookReceiverModule.forRootAsync({
            inject: [DataSource],
            useFactory: (dataSource: DataSource) => ({ secrets: SECRET, replay_store: new TypeOrmReplayStore(dataSource) }),
          }),
          { imports: [TypeOrmModule.forRoot(connection)] },
        ),
      );
    }
  });
  afterAll(async () => {
    for (const r of replicas) await r.close();
    await closeTestDataSource(setup);
  });

  it('refuses on one replica a request the other accepted: replayed, and the handler ran once', async () => {
    const [a, b] = replicas;
    const body = JSON.stringify({ event_type: 'order.created', payload: { n: 1 } });
    const headers = signed(body);
    expect((await post(a.url('/hooks/in'), body, headers)).status).toBe(200);
    const replay = await post(b.url('/hooks/in'), body, headers);
    expect([replay.status, replay.body.reason]).toEqual([401, 'replayed']);
    expect([a.calls.count('in'), b.calls.count('in')]).toEqual([1, 0]);
  });

  it('lets exactly one replica in when the same request reaches both at once', async () => {
    const [a, b] = replicas;
    const before = a.calls.count('in') + b.calls.count('in');
    for (let i = 0; i < 10; i++) {
      const body = JSON.stringify({ event_type: 'race', payload: { i } });
      const headers = signed(body);
      const answers = await Promise.all([post(a.url('/hooks/in'), body, headers), post(b.url('/hooks/in'), body, headers)]);
      expect(answers.map((x) => x.status).sort()).toEqual([200, 401]);
      expect(answers.find((x) => x.status === 401)!.body.reason).toBe('replayed');
    }
    expect(a.calls.count('in') + b.calls.count('in')).toBe(before + 10);
  });

  it('remembers in the shared table', async () => {
    expect(await setup.getRepository(WebhookReceiverReplayEntity).count()).toBe(11);
  });
});
