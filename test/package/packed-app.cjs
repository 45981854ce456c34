// A host app of the packed package, run by packed.e2e-spec.ts from a folder whose node_modules hold the package
// and its required peers but none of the optional ones (typeorm, @nestjs/typeorm, @opentelemetry/api,
// @nestjs/terminus), or, for `otel`, also @opentelemetry/api and the SDK. Prints one JSON line with what happened.
//   node packed-app.cjs memory     boots on the memory store, creates a subscription, dispatches, waits for delivery
//   node packed-app.cjs typeorm    boots with store_backend 'typeorm' and reports the start-up error
//   node packed-app.cjs otel       the same as memory with an OpenTelemetry SDK registered: reports the spans
require('reflect-metadata');
const http = require('node:http');
const { Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { WebhookModule, WebhookDeliveryService, WebhookSubscriptionService, WebhookHealthIndicator, verifyWebhook } = require('nestjs-webhooks');

const resolvable = (name) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};
const loaded = (pattern) => Object.keys(require.cache).some((k) => pattern.test(k));

async function main(mode) {
  const typeormResolvable = resolvable('typeorm');
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
    optionalPeers: { otel: resolvable('@opentelemetry/api'), terminus: resolvable('@nestjs/terminus') },
    otelLoaded: loaded(/node_modules[\\/]@opentelemetry[\\/]api[\\/]/),
    spans: spans && spans.getFinishedSpans().map((s) => s.name).sort(),
  };
}

main(process.argv[2]).then(
  (out) => console.log(JSON.stringify(out)),
  (err) => {
    console.log(JSON.stringify({ crashed: String(err && err.stack) }));
    process.exitCode = 1;
  },
);
