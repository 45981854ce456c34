// One replica of a host app on PostgreSQL (the built package, dist/), driven by a test over IPC.
//   env: PG_SCHEMA, PG_USER, PG_APP_NAME, WEBHOOK_OPTIONS (JSON, merged over the defaults below)
//   parent -> { cmd: 'dispatch', id, mode }  mode: 'commit' (business row + event in one transaction),
//             'hold' (the same, never committed: the parent kills the process), 'commit-and-die' (SIGKILL right
//             after COMMIT returns), 'plain' (dispatch() without a transaction)
//   replica -> { type: 'committed' | 'in-transaction' | 'dispatched', id, at, delivery_count }
//   parent -> { cmd: 'stream', prefix, every_ms, for_ms }: plain dispatches of `${prefix}-<n>` (event type order.stream)
//   replica -> { type: 'streamed', results: [{ id, at, delivery_count }] }
//   parent -> { cmd: 'deactivate' | 'delete', subscription_id }   replica -> { type: 'deactivated' | 'deleted', at }
//   parent -> { cmd: 'lanes', prefix, keys, per_key }: for n < per_key, for each key, one awaited dispatch of
//             `${prefix}-${key}-${n}` (event type lane.test, ordering_key key, payload { key, n })
//   replica -> { type: 'laned', count }
//   parent -> { cmd: 'exit' } ; replica -> { type: 'ready' } once bootstrapped, { type: 'error', message }
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule, getDataSourceToken } = require('@nestjs/typeorm');
const { EntitySchema } = require('typeorm');
const { WebhookModule, WebhookDeliveryService, WebhookSubscriptionService } = require('../../dist');
const { WEBHOOK_ENTITIES } = require('../../dist/typeorm');

const env = process.env;
const Order = new EntitySchema({ name: 'OrderEntity', tableName: 'test_orders', columns: { id: { type: 'varchar', length: 64, primary: true }, amount: { type: 'integer' } } });

class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({
      type: 'postgres',
      host: env.PGHOST || '127.0.0.1',
      port: Number(env.PGPORT || 5432),
      username: env.PG_USER,
      database: env.PGDATABASE || 'test',
      schema: env.PG_SCHEMA,
      entities: [...WEBHOOK_ENTITIES, Order],
      synchronize: false,
      poolSize: 4,
      applicationName: env.PG_APP_NAME || 'webhook-tx-replica',
      logging: false,
    }),
    WebhookModule.forRoot({
      store_backend: 'typeorm',
      allow_private_urls: true,
      delivery_timeout_seconds: 2,
      shutdown_timeout_seconds: 1,
      ...JSON.parse(env.WEBHOOK_OPTIONS || '{}'),
    }),
  ],
})(AppModule);

async function main() {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
  const ds = app.get(getDataSourceToken());
  const webhooks = app.get(WebhookDeliveryService);
  const subscriptions = app.get(WebhookSubscriptionService);
  const event = (id) => ({ event_id: id, event_type: id.startsWith('hold') ? 'hold.it' : 'order.placed', payload: { id } });
  process.on('message', async (msg) => {
    try {
      if (msg.cmd === 'dispatch' && msg.mode === 'plain') {
        const { delivery_count } = await webhooks.dispatch(event(msg.id));
        process.send({ type: 'dispatched', id: msg.id, at: Date.now(), delivery_count });
      } else if (msg.cmd === 'stream') {
        const results = [];
        const end = Date.now() + msg.for_ms;
        for (let n = 0; Date.now() < end; n++) {
          const id = `${msg.prefix}-${n}`;
          const at = Date.now();
          const { delivery_count } = await webhooks.dispatch({ event_id: id, event_type: 'order.stream', payload: { n } });
          results.push({ id, at, delivery_count });
          await new Promise((r) => setTimeout(r, msg.every_ms));
        }
        process.send({ type: 'streamed', results });
      } else if (msg.cmd === 'lanes') {
        let count = 0;
        for (let n = 0; n < msg.per_key; n++) {
          for (const key of msg.keys) {
            await webhooks.dispatch({ event_id: `${msg.prefix}-${key}-${n}`, event_type: 'lane.test', ordering_key: key, payload: { key, n } });
            count++;
          }
        }
        process.send({ type: 'laned', count });
      } else if (msg.cmd === 'deactivate') {
        await subscriptions.deactivate(msg.subscription_id);
        process.send({ type: 'deactivated', at: Date.now() });
      } else if (msg.cmd === 'delete') {
        await subscriptions.delete(msg.subscription_id);
        process.send({ type: 'deleted', at: Date.now() });
      } else if (msg.cmd === 'dispatch' && msg.mode === 'hold') {
        const runner = ds.createQueryRunner();
        await runner.startTransaction();
        await runner.manager.save(Order, { id: msg.id, amount: 1 });
        await webhooks.dispatch(event(msg.id), { manager: runner.manager });
        process.send({ type: 'in-transaction', id: msg.id, at: Date.now() });
      } else if (msg.cmd === 'dispatch') {
        await ds.transaction(async (manager) => {
          await manager.save(Order, { id: msg.id, amount: 1 });
          await webhooks.dispatch(event(msg.id), { manager });
        });
        if (msg.mode === 'commit-and-die') process.kill(process.pid, 'SIGKILL');
        process.send({ type: 'committed', id: msg.id, at: Date.now() });
      } else if (msg.cmd === 'exit') {
        await app.close();
        process.exit(0);
      }
    } catch (err) {
      process.send({ type: 'error', message: String(err && err.message) });
    }
  });
  process.send({ type: 'ready' });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
