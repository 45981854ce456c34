// The TypeORM backend through the host's TypeOrmModule (@nestjs/typeorm 11 under NestJS 11 when run by run.sh):
// the package's migrations create the tables on SQLite, a dispatched event is stored, fails once, is retried and
// delivered, and the attempt log shows both tries. Plain CommonJS; also runs from the repository (NestJS 12):
//   node test/package/nest11/typeorm-app.cjs
// Prints `ok - ...` per check and exits non-zero on failure.
require('reflect-metadata');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule } = require('@nestjs/typeorm');
const { WebhookModule, WebhookDeliveryService, WebhookSubscriptionService, WEBHOOK_DELIVERY_STORE } = require('nestjs-webhooks');
const { WEBHOOK_ENTITIES, WEBHOOK_MIGRATIONS } = require('nestjs-webhooks/typeorm');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'better-sqlite3', database: ':memory:', entities: [...WEBHOOK_ENTITIES], migrations: [...WEBHOOK_MIGRATIONS], migrationsRun: true, synchronize: false }),
    WebhookModule.forRoot({ store_backend: 'typeorm', allow_private_urls: true, retry_base_delay: 0.2, retry_max_delay: 0.5, delivery_timeout_seconds: 2, shutdown_timeout_seconds: 2 }),
  ],
})(AppModule);

async function main() {
  const versions = ['core', 'typeorm'].map((p) => `@nestjs/${p} ${require(`@nestjs/${p}/package.json`).version}`).join(', ');
  const bodies = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(bodies.length === 1 ? 503 : 200).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
  try {
    await app.get(WebhookSubscriptionService).create({ url: `http://127.0.0.1:${server.address().port}/hook` });
    const { event_id } = await app.get(WebhookDeliveryService).dispatch({ event_type: 'order.created', payload: { id: 1 } });
    const store = app.get(WEBHOOK_DELIVERY_STORE);
    const deadline = Date.now() + 15_000;
    let attempts = [];
    while (Date.now() < deadline) {
      attempts = await store.getAttempts({ event_id });
      if (attempts.some((a) => a.status === 'delivered')) break;
      await sleep(50);
    }
    assert.deepEqual(attempts.map((a) => a.status).sort(), ['delivered', 'failed'], 'one failed attempt, then a delivered retry');
    assert.equal(new Set(bodies).size, 1, 'the retry sent the same body');
    console.log(`ok - TypeORM backend on SQLite: migrations run, a delivery fails once, is retried and delivered (${versions})`);
  } finally {
    await app.close();
    server.closeAllConnections();
    server.close();
  }
}

main().then(
  () => console.log('typeorm-app: 1 check passed'),
  (err) => {
    console.error(`typeorm-app FAILED: ${err && err.stack}`);
    process.exitCode = 1;
  },
);
