// A host app using @nestjs-cls/transactional with its TypeORM adapter, on the built package (dist/), run by
// cls-transactional.e2e-spec.ts in plain Node (the nestjs-cls packages are CommonJS requiring the ESM-only NestJS
// 12, which Node loads but Jest's module runtime does not). It runs the scenario and prints one JSON line.
//   env: DB_KIND (sqlite | postgres), SQLITE_FILE or PG_SCHEMA + PG_USER
require('reflect-metadata');
const http = require('node:http');
const { Inject, Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { TypeOrmModule, getDataSourceToken } = require('@nestjs/typeorm');
const { ClsModule } = require('nestjs-cls');
const { ClsPluginTransactional, Transactional, TransactionHost } = require('@nestjs-cls/transactional');
const { TransactionalAdapterTypeOrm } = require('@nestjs-cls/transactional-adapter-typeorm');
const { EntitySchema } = require('typeorm');
const { WebhookModule, WebhookDeliveryService, WebhookSubscriptionService } = require('../../dist');
const { WEBHOOK_ENTITIES } = require('../../dist/typeorm');

const env = process.env;
const Order = new EntitySchema({ name: 'OrderEntity', tableName: 'test_orders', columns: { id: { type: 'varchar', length: 64, primary: true }, amount: { type: 'integer' } } });
const database =
  env.DB_KIND === 'postgres'
    ? { type: 'postgres', host: env.PGHOST || '127.0.0.1', port: Number(env.PGPORT || 5432), username: env.PG_USER, database: env.PGDATABASE || 'test', schema: env.PG_SCHEMA }
    : { type: 'better-sqlite3', database: env.SQLITE_FILE };

/** The app's service: writes its row and dispatches the event about it in one @Transactional() method. */
class Orders {
  constructor(txHost, webhooks) {
    this.txHost = txHost;
    this.webhooks = webhooks;
  }
  async place(id, fail) {
    await this.txHost.tx.getRepository(Order).save({ id, amount: 10 });
    await this.webhooks.dispatch({ event_id: id, event_type: 'order.placed', payload: { id } });
    if (fail) throw new Error('payment declined');
  }
}
Injectable()(Orders);
Inject(TransactionHost)(Orders, undefined, 0);
Inject(WebhookDeliveryService)(Orders, undefined, 1);
const place = Object.getOwnPropertyDescriptor(Orders.prototype, 'place');
Transactional()(Orders.prototype, 'place', place);
Object.defineProperty(Orders.prototype, 'place', place);

class AppModule {}
Module({
  imports: [
    TypeOrmModule.forRoot({ ...database, entities: [...WEBHOOK_ENTITIES, Order], synchronize: false, logging: false }),
    ClsModule.forRoot({ global: true, plugins: [new ClsPluginTransactional({ adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }) })] }),
    // dispatch() joins the active @Transactional() transaction by itself.
    WebhookModule.forRoot({ store_backend: 'typeorm', allow_private_urls: true, transaction_host: TransactionHost }),
  ],
  providers: [Orders],
})(AppModule);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const received = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received.push(String(req.headers['webhook-id']));
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const app = await NestFactory.createApplicationContext(AppModule, { logger: ['error'] });
  const ds = app.get(getDataSourceToken());
  const count = async (id) => ({ orders: await ds.getRepository(Order).countBy({ id }), events: await ds.getRepository(WEBHOOK_ENTITIES[1]).countBy({ event_id: id }) });
  await app.get(WebhookSubscriptionService).create({ url: `http://127.0.0.1:${server.address().port}/hook` });
  const orders = app.get(Orders);
  const out = {};

  let error = null;
  await orders.place('declined', true).catch((err) => (error = err.message));
  await sleep(2500); // longer than two polls of the retry processor
  out.declined = { error, sent: received.filter((id) => id === 'declined').length, ...(await count('declined')) };

  await orders.place('paid', false);
  const started = Date.now();
  while (!received.includes('paid') && Date.now() - started < 5000) await sleep(5);
  out.paid = { sent: received.filter((id) => id === 'paid').length, ms_after_commit: Date.now() - started, ...(await count('paid')) };

  const { event_id } = await app.get(WebhookDeliveryService).dispatch({ event_type: 'order.note', payload: {} });
  const noteStarted = Date.now();
  while (!received.includes(event_id) && Date.now() - noteStarted < 5000) await sleep(5);
  out.outside = { sent: received.filter((id) => id === event_id).length };

  await app.close();
  server.close();
  return out;
}

main().then(
  (out) => console.log(JSON.stringify(out)),
  (err) => {
    console.log(JSON.stringify({ crashed: String(err && err.stack) }));
    process.exitCode = 1;
  },
);
