// One replica of a host app: a NestJS application context with the webhook module on PostgreSQL, driven by
// the test over IPC. It runs the built package (dist/), as a user's app would. Messages:
//   parent -> { cmd: 'dispatch', ids: string[] }   replica -> { type: 'accepted', id } per dispatch() that resolved
//   parent -> { cmd: 'exit' }                        replica closes the app and exits
//   replica -> { type: 'ready' } once bootstrapped; { type: 'dispatch-error', id, message } when dispatch() threw
require('reflect-metadata');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { WebhookModule, WebhookDeliveryService } = require('../../dist');
const { WEBHOOK_ENTITIES } = require('../../dist/typeorm');

const env = process.env;

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
      entities: [...WEBHOOK_ENTITIES],
      synchronize: false,
      poolSize: 5,
      applicationName: env.PG_APP_NAME || 'webhook-replica',
      logging: false,
    }),
    WebhookModule.forRoot({
      store_backend: 'typeorm',
      allow_private_urls: true,
      delivery_timeout_seconds: 1,
      lease_seconds: 3,
      retry_base_delay: 0.2,
      retry_max_delay: 1,
      retry_max_attempts: 20,
      shutdown_timeout_seconds: 2,
    }),
  ],
})(AppModule);

async function main() {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
  app.enableShutdownHooks();
  const webhooks = app.get(WebhookDeliveryService);
  process.on('message', async (msg) => {
    if (msg.cmd === 'dispatch') {
      for (const id of msg.ids) {
        try {
          await webhooks.dispatch({ event_id: id, event_type: 'replica.test', payload: { id } });
          process.send({ type: 'accepted', id });
        } catch (err) {
          process.send({ type: 'dispatch-error', id, message: String(err && err.message) });
        }
      }
      process.send({ type: 'dispatched' });
    } else if (msg.cmd === 'exit') {
      await app.close();
      process.exit(0);
    }
  });
  process.send({ type: 'ready' });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
