// A host app of the packed package, run by packed.e2e-spec.ts from a folder whose node_modules hold the package
// and its required peers but none of the optional ones (typeorm, @nestjs/typeorm, @opentelemetry/api,
// @nestjs/terminus, @nestjs/schedule), or, for `otel`, also @opentelemetry/api and the SDK. Prints one JSON line
// with what happened.
//   node packed-app.cjs memory     boots on the memory store, creates a subscription, dispatches, waits for delivery
//   node packed-app.cjs typeorm    boots with store_backend 'typeorm' and reports the start-up error
//   node packed-app.cjs otel       the same as memory with an OpenTelemetry SDK registered: reports the spans
//   node packed-app.cjs catalog    boots with an event_catalog (a class-validator class and a JSON Schema) without
//                                  class-validator-jsonschema installed: dispatch checks, describe() says what to install
//   node packed-app.cjs catalog-admin  the same catalog with enable_admin (GET /webhooks/event-types) stops at
//                                  start-up saying what to install; a JSON Schema-only catalog boots
require('reflect-metadata');
const http = require('node:http');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { WebhookModule, WebhookDeliveryService, WebhookSubscriptionService, WebhookHealthIndicator, EventCatalog, verifyWebhook } = require('nestjs-webhooks');

/** Whether a package resolves from the app folder / was loaded so far. */
const resolvable = (name) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};
const loaded = (pattern) => Object.keys(require.cache).some((k) => pattern.test(k));

async function catalogMode() {
  const { IsInt, IsString, Min } = require('class-validator');
  class InvoicePaid {}
  IsString()(InvoicePaid.prototype, 'invoice_id');
  IsInt()(InvoicePaid.prototype, 'amount');
  Min(1)(InvoicePaid.prototype, 'amount');
  const event_catalog = [
    { event_type: 'invoice.paid', schema: InvoicePaid, example: { invoice_id: 'in_1', amount: 100 } },
    { event_type: 'customer.updated', schema: { type: 'object', required: ['customer_id'], properties: { customer_id: { type: 'string' } } }, example: { customer_id: 'c1' } },
  ];
  class AppModule {}
  Module({ imports: [WebhookModule.forRoot({ event_catalog })] })(AppModule);
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const webhooks = app.get(WebhookDeliveryService);
  const refusal = (event) => webhooks.dispatch(event).then(() => null, (err) => ({ code: err.code, paths: err.fieldErrors.map((f) => f.path) }));
  const out = {
    jsonschemaResolvable: resolvable('class-validator-jsonschema'),
    accepted: (await webhooks.dispatch({ event_type: 'invoice.paid', payload: { invoice_id: 'in_2', amount: 5 } })).duplicate === false,
    refusedClass: await refusal({ event_type: 'invoice.paid', payload: { invoice_id: 2, amount: 0 } }),
    refusedJson: await refusal({ event_type: 'customer.updated', payload: {} }),
    describeError: await app.get(EventCatalog).describe().then(() => null, (err) => String(err && err.message)),
    jsonschemaLoaded: loaded(/node_modules[\\/]class-validator-jsonschema[\\/]/),
    ajvLoaded: loaded(/node_modules[\\/]ajv[\\/]/),
  };
  await app.close();
  return out;
}

async function catalogAdminMode() {
  const { IsString } = require('class-validator');
  class InvoicePaid {}
  IsString()(InvoicePaid.prototype, 'invoice_id');
  const json = { event_type: 'customer.updated', schema: { type: 'object', properties: { customer_id: { type: 'string' } } } };
  const boot = async (event_catalog) => {
    class AppModule {}
    Module({ imports: [WebhookModule.forRoot({ enable_admin: true, admin_allow_unguarded: true, event_catalog })] })(AppModule);
    let app;
    try {
      app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
    } catch (err) {
      return { booted: false, error: String(err && err.message) };
    }
    try {
      // What GET /<prefix>/event-types answers.
      const described = await app.get(EventCatalog).describe().then((list) => list.map((d) => d.event_type), (err) => `describe() failed: ${err && err.message}`);
      return { booted: true, described };
    } finally {
      await app.close();
    }
  };
  return {
    jsonschemaResolvable: resolvable('class-validator-jsonschema'),
    withClass: await boot([{ event_type: 'invoice.paid', schema: InvoicePaid }, json]),
    jsonOnly: await boot([json]),
  };
}

async function main(mode) {
  const typeormResolvable = resolvable('typeorm');
  if (mode === 'catalog') return catalogMode();
  if (mode === 'catalog-admin') return catalogAdminMode();
  let spans = null;
  if (mode === 'otel') {
    const { trace } = require('@opentelemetry/api');
    const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
    spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
  }
  if (mode === 'typeorm') {
    class AppModule {}
    Module({ imports: [WebhookModule.forRoot({ store_backend: 'typeorm' })] })(AppModule);
    try {
      const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
      await app.close();
      return { typeormResolvable, booted: true };
    } catch (err) {
      return { typeormResolvable, booted: false, error: String(err && err.message) };
    }
  }
  let secret = '';
  const received = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(verifyWebhook(body, req.headers, secret));
      res.end('ok');
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  class AppModule {}
  Module({ imports: [WebhookModule.forRoot({ allow_private_urls: true })] })(AppModule);
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const sub = await app.get(WebhookSubscriptionService).create({ url: `http://127.0.0.1:${server.address().port}/hook` });
  secret = sub.secret;
  const result = await app.get(WebhookDeliveryService).dispatch({ event_type: 'order.created', payload: { id: 1 } });
  const deadline = Date.now() + 10_000;
  while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const health = (await app.get(WebhookHealthIndicator).isHealthy()).webhooks.status;
  await app.close();
  server.close();
  return {
    typeormResolvable,
    delivery_count: result.delivery_count,
    received,
    health,
    typeormLoaded: loaded(/node_modules[\\/]typeorm[\\/]/),
    optionalPeers: { otel: resolvable('@opentelemetry/api'), terminus: resolvable('@nestjs/terminus'), schedule: resolvable('@nestjs/schedule') },
    otelLoaded: loaded(/node_modules[\\/]@opentelemetry[\\/]api[\\/]/),
    spans: spans && spans.getFinishedSpans().map((s) => s.name).sort(),
    // Loaded only when a catalog needs them.
    jsonschemaLoaded: loaded(/node_modules[\\/]class-validator-jsonschema[\\/]/),
    ajvLoaded: loaded(/node_modules[\\/]ajv[\\/]/),
  };
}

main(process.argv[2]).then(
  (out) => console.log(JSON.stringify(out)),
  (err) => {
    console.log(JSON.stringify({ crashed: String(err && err.stack) }));
    process.exitCode = 1;
  },
);
