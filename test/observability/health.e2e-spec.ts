import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Inject, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { App } from 'supertest/types';
import type { DataSource } from 'typeorm';
import { WebhookDeliveryService, WebhookHealthIndicator, WebhookModule, WebhookSubscriptionService, type WebhookModuleOptions } from '../../lib';
import { DeliveryEngine } from '../../lib/delivery/engine/delivery-engine';
import { FAST } from '../support/app';
import { closeTestDataSource, createTestDataSource, describeIfDatabase } from '../support/databases';
import { hang, TestReceiver, waitFor } from '../support/receiver';

/** The app's health endpoint, as the README shows it. */
@Controller('health')
class HealthController {
  constructor(
    @Inject(HealthCheckService) private readonly health: HealthCheckService,
    @Inject(WebhookHealthIndicator) private readonly webhooks: WebhookHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.webhooks.isHealthy()]);
  }
}

async function start(options: WebhookModuleOptions, dataSource?: DataSource): Promise<INestApplication> {
  const module = await Test.createTestingModule({
    imports: [TerminusModule.forRoot({ logger: false }), WebhookModule.forRoot({ ...FAST, ...options })],
    controllers: [HealthController],
    providers: dataSource ? [{ provide: getDataSourceToken(), useValue: dataSource }] : [],
  }).compile();
  const app = module.createNestApplication({ logger: false });
  await app.init();
  return app;
}

describe('WebhookHealthIndicator (memory store)', () => {
  let receiver: TestReceiver;
  let app: INestApplication;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/hang', hang());
    app = await start({ health_max_queue_lag_seconds: 1, max_concurrent_per_endpoint: 1, delivery_timeout_seconds: 20, shutdown_timeout_seconds: 0.2 });
  });

  afterAll(async () => {
    await app?.close();
    await receiver?.close();
  });

  it('is up with an empty queue, under its own key or the one given', async () => {
    const indicator = app.get(WebhookHealthIndicator);
    await waitFor(() => app.get(DeliveryEngine).liveness.last_round_ended_at !== null || null, 'the first claim round');
    expect(await indicator.isHealthy()).toEqual({
      webhooks: {
        status: 'up',
        store: 'up',
        queue_lag_seconds: 0,
        max_queue_lag_seconds: 1,
        pending: 0,
        dead_letters: 0,
        worker: 'up',
        worker_state: expect.stringMatching(/^(idle|claiming)$/),
        worker_last_round_at: expect.any(String),
      },
    });
    expect(Object.keys(await indicator.isHealthy('outbound'))).toEqual(['outbound']);
    const res = await request(app.getHttpServer() as App).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok', info: { webhooks: { status: 'up' } } });
  });

  it('is down when the queue lags more than health_max_queue_lag_seconds, and says why', async () => {
    // An endpoint that never answers, one send at a time: the second delivery waits, due, in the queue.
    await app.get(WebhookSubscriptionService).create({ url: receiver.url('/hang'), event_types: ['order.paid'] });
    await app.get(WebhookDeliveryService).dispatch({ event_type: 'order.paid', payload: { n: 1 } });
    await app.get(WebhookDeliveryService).dispatch({ event_type: 'order.paid', payload: { n: 2 } });
    const indicator = app.get(WebhookHealthIndicator);
    const down = await waitFor(async () => {
      const r = await indicator.isHealthy();
      return r.webhooks.status === 'down' && r;
    }, 'the lag to pass 1 s', 5000, 100);
    expect(down.webhooks).toMatchObject({ status: 'down', store: 'up', worker: 'up', pending: 2, max_queue_lag_seconds: 1 });
    expect(down.webhooks.queue_lag_seconds).toBeGreaterThan(1);
    const res = await request(app.getHttpServer() as App).get('/health');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ status: 'error', error: { webhooks: { status: 'down', store: 'up', worker: 'up' } } });
  });

  it('is down when the delivery engine no longer runs', async () => {
    await app.get(DeliveryEngine).stopClaiming();
    const r = await app.get(WebhookHealthIndicator).isHealthy();
    expect(r.webhooks).toMatchObject({ status: 'down', worker: 'down', worker_state: 'stopped' });
  });
});

describeIfDatabase('postgres', 'WebhookHealthIndicator (PostgreSQL)', () => {
  let ds: DataSource;
  let app: INestApplication;

  beforeAll(async () => {
    ds = await createTestDataSource('postgres', { namespace: 'webhook_health' });
    app = await start({ store_backend: 'typeorm', shutdown_timeout_seconds: 0.2 }, ds);
  });

  afterAll(async () => {
    await app?.close();
    await closeTestDataSource(ds);
  });

  it('is up while the database answers, and down once it is gone', async () => {
    const server = app.getHttpServer() as App;
    const up = await request(server).get('/health');
    expect(up.status).toBe(200);
    expect(up.body.info.webhooks).toMatchObject({ status: 'up', store: 'up', pending: 0, dead_letters: 0, queue_lag_seconds: 0, max_queue_lag_seconds: 300 });
    // The database goes away (the connection pool is closed: every query fails).
    await ds.destroy();
    const down = await request(server).get('/health');
    expect(down.status).toBe(503);
    expect(down.body.error.webhooks).toMatchObject({ status: 'down', store: 'down', store_error: expect.any(String), queue_lag_seconds: null, pending: null, worker: 'up' });
  });
});

describe('WebhookHealthIndicator rules', () => {
  const reading = { pending: 0, oldest_due_at: null, dead_letters: 0, at: new Date(), lag_seconds: 0 };
  const indicator = (liveness: { state: string; round_started_at: number | null }, maxLag = 300, lag = 0) =>
    new WebhookHealthIndicator(
      { health_max_queue_lag_seconds: maxLag, lease_seconds: 60 } as never,
      { fresh: async () => ({ ...reading, lag_seconds: lag }) } as never,
      { liveness: { last_round_ended_at: null, ...liveness } } as never,
    );

  it('is down when a claim has run longer than a lease (stuck), up while it is younger', async () => {
    expect((await indicator({ state: 'claiming', round_started_at: Date.now() - 61_000 }).isHealthy()).webhooks).toMatchObject({ status: 'down', worker: 'down', worker_state: 'stuck' });
    expect((await indicator({ state: 'claiming', round_started_at: Date.now() - 1000 }).isHealthy()).webhooks).toMatchObject({ status: 'up', worker: 'up', worker_state: 'claiming' });
  });

  it('does not check the lag when health_max_queue_lag_seconds is 0', async () => {
    expect((await indicator({ state: 'idle', round_started_at: null }, 0, 99_999).isHealthy()).webhooks).toMatchObject({ status: 'up', queue_lag_seconds: 99_999 });
    expect((await indicator({ state: 'idle', round_started_at: null }, 300, 301).isHealthy()).webhooks).toMatchObject({ status: 'down', store: 'up', worker: 'up' });
  });
});
