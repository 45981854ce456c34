import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Injectable, Module, type CanActivate, type INestApplication, type INestApplicationContext, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Cron, ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { WebhookDeliveryService, WebhookHealthIndicator, WebhookModule, WebhookSubscriptionService } from '../../lib';
import { FAST } from '../support/app';
import { failTimes, sleep, TestReceiver, waitFor } from '../support/receiver';

/**
 * The module is a guest in its host app: it must not change how the host's own parts run. Real Nest apps, real
 * cron ticks, real HTTP to a local receiver.
 */

/** The host's own cron job, which must tick once a second, with or without the module. */
@Injectable()
class HostJobs {
  ticks = 0;

  @Cron('* * * * * *')
  bill(): void {
    this.ticks += 1;
  }
}

/** Module options: a failed delivery is retried after about 0.2 s. */
const RETRYING = { ...FAST, retry_base_delay: 0.2, retry_max_delay: 0.5 };

/** The module in a feature module of its own (not global), as a host would split its app. */
@Module({ imports: [WebhookModule.forRoot(RETRYING)] })
class WebhooksFeature {}

@Module({ imports: [ScheduleModule.forRoot()], providers: [HostJobs] })
class HostOnly {}

@Module({ imports: [ScheduleModule.forRoot(), WebhooksFeature], providers: [HostJobs] })
class HostWithWebhooks {}

async function start(root: Type<unknown>): Promise<INestApplicationContext> {
  const module = await Test.createTestingModule({ imports: [root] }).compile();
  return module.init();
}

/** The retry job's name in a registry (`webhooks.retry.<worker id>`). */
const jobNames = (app: INestApplicationContext) => [...app.get(SchedulerRegistry).getCronJobs().keys()];

/** When the engine's last claim round ended, as the health check reports it. */
const lastRound = async (app: INestApplicationContext) => (await app.get(WebhookHealthIndicator).isHealthy()).webhooks.worker_last_round_at;

/** Dispatches one event to a receiver route that fails once, and waits for the retry to deliver it. */
async function deliversAfterOneFailure(app: INestApplicationContext, receiver: TestReceiver, path: string): Promise<void> {
  receiver.on(path, failTimes(1, 503));
  await app.get(WebhookSubscriptionService).create({ url: receiver.url(path) });
  const { event_id } = await app.get(WebhookDeliveryService).dispatch({ event_type: 'invoice.paid', payload: { n: 1 } });
  await waitFor(() => receiver.received(path).length >= 2, 'the retry of a delivery that failed once');
  expect(receiver.received(path).map((r) => r.headers['webhook-id'])).toEqual([event_id, event_id]);
}

describe('the host app keeps its own schedule', () => {
  let receiver: TestReceiver;
  const apps: INestApplicationContext[] = [];

  beforeAll(async () => {
    receiver = await TestReceiver.start();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(async () => {
    await receiver.close();
  });

  it("with ScheduleModule.forRoot() in the host, the host's @Cron job ticks as often with WebhookModule as without", async () => {
    // Both apps run at once, so both jobs count over the same seconds.
    const started = await Promise.allSettled([start(HostOnly), start(HostWithWebhooks)]);
    for (const s of started) if (s.status === 'fulfilled') apps.push(s.value);
    const [alone, withWebhooks] = started.map((s) => {
      if (s.status === 'rejected') throw s.reason;
      return s.value;
    });
    alone.get(HostJobs).ticks = 0;
    withWebhooks.get(HostJobs).ticks = 0;
    const from = Date.now();
    await sleep(4_500);
    const seconds = (Date.now() - from) / 1000;
    const a = alone.get(HostJobs).ticks;
    const b = withWebhooks.get(HostJobs).ticks;
    expect(a).toBeGreaterThanOrEqual(3);
    expect(Math.abs(a - b)).toBeLessThanOrEqual(1);
    // Once a second, not twice (the defect counted 2 per second).
    expect(b).toBeLessThanOrEqual(Math.ceil(seconds) + 1);
  }, 30_000);

  it("lists the module's cron jobs in the host's SchedulerRegistry, ticking, and removes them on close", async () => {
    const app = await start(HostWithWebhooks);
    apps.push(app);
    const names = jobNames(app);
    const retry = names.find((n) => n.startsWith('webhooks.retry.'));
    expect(retry).toBeDefined();
    expect(names.some((n) => n.startsWith('webhooks.retention.'))).toBe(true);
    const registry = app.get(SchedulerRegistry);
    await waitFor(() => registry.getCronJob(retry!).lastDate(), 'a tick of the retry job', 5_000);
    await deliversAfterOneFailure(app, receiver, '/with-schedule');
    await app.close();
    apps.pop();
    expect(registry.getCronJobs().size).toBe(0);
  }, 30_000);

  it('without ScheduleModule in the host: no SchedulerRegistry appears, and the retry job still ticks and retries deliver', async () => {
    const module = await Test.createTestingModule({ imports: [WebhookModule.forRoot(RETRYING)] }).compile();
    const app = await module.init();
    apps.push(app);
    expect(() => app.get(SchedulerRegistry, { strict: false })).toThrow();
    // Nothing to deliver, so only the retry job's ticks end claim rounds.
    const first = await waitFor(() => lastRound(app), 'a first claim round');
    const second = await waitFor(async () => {
      const at = await lastRound(app);
      return at !== first && at;
    }, 'a claim round a tick later', 5_000);
    await waitFor(async () => {
      const at = await lastRound(app);
      return at !== second && at;
    }, 'a claim round another tick later', 5_000);
    await deliversAfterOneFailure(app, receiver, '/without-schedule');
  }, 30_000);
});

/** An admin guard that lets everything through (the admin routes are mounted to check they add nothing global). */
@Injectable()
class AllowAll implements CanActivate {
  canActivate(): boolean {
    return true;
  }
}

@Module({})
class BareHost {}

@Module({ imports: [WebhookModule.forRoot({ ...FAST, enable_admin: true, admin_guards: [AllowAll] })] })
class HostWithAdmin {}

/** Listener counts per process event. */
function processListeners(): Record<string, number> {
  return Object.fromEntries(process.eventNames().map((e) => [String(e), process.listenerCount(e)]));
}

/** What is global in an HTTP app: its global enhancers (application config) and its non-route Express layers. */
function globals(app: INestApplication): Record<string, unknown> {
  const config = (app as unknown as { config: Record<string, unknown> }).config;
  const proto = Object.getPrototypeOf(config) as object;
  const out: Record<string, unknown> = {};
  for (const name of Object.getOwnPropertyNames(proto).filter((n) => /^getGlobal/.test(n))) {
    const value = (config[name] as () => unknown).call(config);
    out[name] = Array.isArray(value) ? value.length : value;
  }
  const express = app.getHttpAdapter().getInstance() as { router?: { stack: Array<{ name: string; route?: unknown }> }; _router?: { stack: Array<{ name: string; route?: unknown }> } };
  out.middleware = (express.router ?? express._router)!.stack.filter((layer) => !layer.route).map((layer) => layer.name);
  return out;
}

describe('the host app keeps its own globals', () => {
  it('adds no global guard, pipe, filter, interceptor, middleware or process listener (admin routes included)', async () => {
    const bare = await NestFactory.create(BareHost, { logger: false });
    await bare.init();
    const baseline = globals(bare);
    await bare.close();

    const before = processListeners();
    const app = await NestFactory.create(HostWithAdmin, { logger: false });
    await app.init();
    try {
      expect(processListeners()).toEqual(before);
      expect(globals(app)).toEqual(baseline);
      // The comparison means something: the bare app does have Nest's own body parsers.
      expect(baseline.middleware).toEqual(expect.arrayContaining(['jsonParser', 'urlencodedParser']));
      expect(baseline.getGlobalPipes).toBe(0);
    } finally {
      await app.close();
    }
    expect(processListeners()).toEqual(before);
  }, 30_000);
});
