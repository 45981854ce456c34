// A host app's own @Cron job must tick as often with WebhookModule as without it, and the module's retries must run,
// whether or not the host imports ScheduleModule.forRoot(). Plain CommonJS, run by run.sh from an app folder that
// installed the packed package with NestJS 11 (@nestjs/schedule 6); it also runs from the repository (NestJS 12):
//   node test/package/nest11/host-cron.cjs
// Prints `ok - ...` per check and exits non-zero on the first failure.
require('reflect-metadata');
const assert = require('node:assert/strict');
const http = require('node:http');
const { Injectable, Module } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { Cron, ScheduleModule, SchedulerRegistry } = require('@nestjs/schedule');
const { WebhookModule, WebhookDeliveryService, WebhookSubscriptionService } = require('nestjs-webhooks');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const WEBHOOKS = { allow_private_urls: true, retry_base_delay: 0.2, retry_max_delay: 0.5, retry_max_attempts: 3, delivery_timeout_seconds: 2, shutdown_timeout_seconds: 2 };

/** The host's own job: counts its ticks. */
class HostJobs {
  constructor() {
    this.ticks = 0;
  }
  bill() {
    this.ticks += 1;
  }
}
Injectable()(HostJobs);
Cron('* * * * * *')(HostJobs.prototype, 'bill', Object.getOwnPropertyDescriptor(HostJobs.prototype, 'bill'));

/** The module in a feature module (not global), as a host would split its app. */
class WebhooksFeature {}
Module({ imports: [WebhookModule.forRoot(WEBHOOKS)] })(WebhooksFeature);
class HostOnly {}
Module({ imports: [ScheduleModule.forRoot()], providers: [HostJobs] })(HostOnly);
class HostWithWebhooks {}
Module({ imports: [ScheduleModule.forRoot(), WebhooksFeature], providers: [HostJobs] })(HostWithWebhooks);
class WebhooksOnly {}
Module({ imports: [WebhookModule.forRoot(WEBHOOKS)] })(WebhooksOnly);

/** A receiver whose every path fails its first request (503), then answers 200. */
async function startReceiver() {
  const seen = new Map();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const list = seen.get(req.url) ?? [];
      list.push(req.headers['webhook-id']);
      seen.set(req.url, list);
      res.writeHead(list.length === 1 ? 503 : 200).end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { seen, url: (path) => `http://127.0.0.1:${server.address().port}${path}`, close: () => server.closeAllConnections() || server.close() };
}

/** Dispatches to a path that fails once and waits for the retry. */
async function retriedOnce(app, receiver, path) {
  await app.get(WebhookSubscriptionService).create({ url: receiver.url(path) });
  const { event_id } = await app.get(WebhookDeliveryService).dispatch({ event_type: 'invoice.paid', payload: { n: 1 } });
  const deadline = Date.now() + 10_000;
  while ((receiver.seen.get(path) ?? []).length < 2 && Date.now() < deadline) await sleep(20);
  assert.deepEqual(receiver.seen.get(path), [event_id, event_id], `${path}: one failed attempt, then the retry`);
}

const passed = [];
const ok = (what) => {
  passed.push(what);
  console.log(`ok - ${what}`);
};

async function main() {
  const versions = ['core', 'schedule'].map((p) => `@nestjs/${p} ${require(`@nestjs/${p}/package.json`).version}`).join(', ');
  const receiver = await startReceiver();
  const apps = [];
  try {
    const [alone, withWebhooks] = await Promise.all([HostOnly, HostWithWebhooks].map((m) => NestFactory.createApplicationContext(m, { logger: ['error'] })));
    apps.push(alone, withWebhooks);
    alone.get(HostJobs).ticks = 0;
    withWebhooks.get(HostJobs).ticks = 0;
    const from = Date.now();
    await sleep(4_500);
    const seconds = (Date.now() - from) / 1000;
    const a = alone.get(HostJobs).ticks;
    const b = withWebhooks.get(HostJobs).ticks;
    assert.ok(a >= 3, `the host job ticked ${a} times in ${seconds}s without the module`);
    assert.ok(Math.abs(a - b) <= 1 && b <= Math.ceil(seconds) + 1, `the host job ticked ${a} times without the module and ${b} with it, in ${seconds}s`);
    ok(`host @Cron job: ${a} ticks without WebhookModule, ${b} with it, in ${seconds.toFixed(1)}s (${versions})`);

    const registry = withWebhooks.get(SchedulerRegistry);
    const names = [...registry.getCronJobs().keys()];
    const retry = names.find((n) => n.startsWith('webhooks.retry.'));
    assert.ok(retry && names.some((n) => n.startsWith('webhooks.retention.')), `the module's jobs in the host's SchedulerRegistry: ${names.join(', ')}`);
    assert.ok(registry.getCronJob(retry).lastDate(), 'the retry job has ticked');
    ok("the module's cron jobs are listed in the host's SchedulerRegistry and tick");
    await retriedOnce(withWebhooks, receiver, '/with-schedule');
    ok('a delivery that failed once is retried and delivered (host with ScheduleModule)');
    await withWebhooks.close();
    apps.splice(apps.indexOf(withWebhooks), 1);
    assert.deepEqual([...registry.getCronJobs().keys()].filter((n) => n.startsWith('webhooks.')), [], "the module's jobs left the registry on close");
    ok("app.close() takes the module's jobs out of the host's registry");

    const bare = await NestFactory.createApplicationContext(WebhooksOnly, { logger: ['error'] });
    apps.push(bare);
    assert.throws(() => bare.get(SchedulerRegistry, { strict: false }), 'no SchedulerRegistry in a host without ScheduleModule');
    await retriedOnce(bare, receiver, '/without-schedule');
    ok('a delivery that failed once is retried and delivered (host without ScheduleModule, which the module does not add)');
  } finally {
    await Promise.all(apps.map((app) => app.close()));
    receiver.close();
  }
  return passed;
}

main().then(
  (checks) => console.log(`host-cron: ${checks.length} checks passed`),
  (err) => {
    console.error(`host-cron FAILED: ${err && err.stack}`);
    process.exitCode = 1;
  },
);
