import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { context, metrics, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Test, type TestingModule } from '@nestjs/testing';
import type { DataSource } from 'typeorm';
import { WebhookDeliveryService, WebhookModule, WebhookSubscriptionService, WEBHOOK_DELIVERY_STORE, type WebhookDeliveryStore, type WebhookModuleOptions } from '../../lib';
import { DeliveryEngine } from '../../lib/delivery/engine/delivery-engine';
import { FAST } from '../support/app';
import { closeTestDataSource, createTestDataSource, describeIfDatabase } from '../support/databases';
import { failTimes, ok, TestReceiver, waitFor } from '../support/receiver';

/** A metric reader the test collects from by hand. */
class TestReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

const spans = new InMemorySpanExporter();
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
const reader = new TestReader();
const meterProvider = new MeterProvider({ readers: [reader] });
const tracer = () => trace.getTracer('test-app');

/** The SDK is registered before the apps start, as an app's main.ts does. */
beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(tracerProvider);
  metrics.setGlobalMeterProvider(meterProvider);
});

afterAll(async () => {
  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  trace.disable();
  metrics.disable();
  context.disable();
});

interface App {
  module: TestingModule;
  delivery: WebhookDeliveryService;
  subscriptions: WebhookSubscriptionService;
  store: WebhookDeliveryStore;
}

async function start(options: WebhookModuleOptions, dataSource?: DataSource): Promise<App> {
  const module = await Test.createTestingModule({
    imports: [WebhookModule.forRoot({ ...FAST, ...options })],
    providers: dataSource ? [{ provide: getDataSourceToken(), useValue: dataSource }] : [],
  }).compile();
  await module.init();
  return { module, delivery: module.get(WebhookDeliveryService), subscriptions: module.get(WebhookSubscriptionService), store: module.get(WEBHOOK_DELIVERY_STORE) };
}

/** Dispatches inside a caller's span (the app's own, e.g. its HTTP request's); returns that span. */
async function dispatchWithin(app: App, name: string, event: Parameters<WebhookDeliveryService['dispatch']>[0]): Promise<{ parent: Span; event_id: string }> {
  const parent = tracer().startSpan(name);
  const result = await context.with(trace.setSpan(context.active(), parent), () => app.delivery.dispatch(event));
  parent.end();
  return { parent, event_id: result.event_id };
}

const finished = (name: string, match: (s: ReadableSpan) => boolean = () => true) => spans.getFinishedSpans().filter((s) => s.name === name && match(s));

function dataPoints(collected: ResourceMetrics, name: string): Array<{ attributes: Record<string, unknown>; value: unknown }> {
  for (const scope of collected.scopeMetrics) for (const m of scope.metrics) if (m.descriptor.name === name) return m.dataPoints as Array<{ attributes: Record<string, unknown>; value: unknown }>;
  return [];
}

describe('OpenTelemetry spans and metrics (memory store)', () => {
  let receiver: TestReceiver;
  let app: App;
  let plain: App | undefined;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    app = await start({ propagate_trace_context: true, retry_max_attempts: 2 });
    plain = await start({});
  });

  afterAll(async () => {
    await app?.module.close();
    await plain?.module.close();
    await receiver?.close();
  });

  it('webhook.dispatch is a child of the caller span; each webhook.attempt links to it, with its attributes, and sends its traceparent', async () => {
    receiver.on('/flaky', failTimes(1)).on('/ok', ok(200));
    const flaky = await app.subscriptions.create({ url: receiver.url('/flaky'), event_types: ['order.paid'] });
    const steady = await app.subscriptions.create({ url: receiver.url('/ok'), event_types: ['order.*'] });
    const { parent, event_id } = await dispatchWithin(app, 'POST /checkout', { event_type: 'order.paid', payload: { order: 7 } });
    await waitFor(() => finished('webhook.attempt', (s) => s.attributes['webhook.event_id'] === event_id).length === 3 || null, 'three attempt spans');

    const [dispatch] = finished('webhook.dispatch', (s) => s.attributes['webhook.event_id'] === event_id);
    expect(dispatch.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(dispatch.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(dispatch.attributes).toEqual({ 'webhook.event_type': 'order.paid', 'webhook.event_id': event_id, 'webhook.delivery_count': 2, 'webhook.duplicate': false });
    // stored with the event, so any replica can link to it later
    expect((await app.store.getEvent(event_id))!.traceparent).toBe(`00-${dispatch.spanContext().traceId}-${dispatch.spanContext().spanId}-01`);

    const attempts = finished('webhook.attempt', (s) => s.attributes['webhook.event_id'] === event_id);
    for (const a of attempts) {
      expect(a.parentSpanContext).toBeUndefined();
      expect(a.links).toHaveLength(1);
      expect(a.links[0].context.spanId).toBe(dispatch.spanContext().spanId);
      expect(a.links[0].context.traceId).toBe(dispatch.spanContext().traceId);
    }
    const bySub = (id: string) => attempts.filter((a) => a.attributes['webhook.subscription_id'] === id).sort((x, y) => Number(x.attributes['webhook.attempt_number']) - Number(y.attributes['webhook.attempt_number']));
    const [failed, retried] = bySub(flaky.subscription_id);
    expect(failed.attributes).toMatchObject({ 'webhook.attempt_number': 1, 'http.response.status_code': 500, 'webhook.outcome': 'failed', 'webhook.event_type': 'order.paid', 'server.address': '127.0.0.1' });
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    expect(retried.attributes).toMatchObject({ 'webhook.attempt_number': 2, 'http.response.status_code': 200, 'webhook.outcome': 'delivered' });
    expect(retried.status.code).not.toBe(SpanStatusCode.ERROR);
    expect(bySub(steady.subscription_id)[0].attributes).toMatchObject({ 'webhook.attempt_number': 1, 'http.response.status_code': 200, 'webhook.outcome': 'delivered' });

    // propagate_trace_context: each request carries its own attempt's context, not the dispatch's
    const sent = receiver.received('/flaky').map((r) => r.headers.traceparent);
    expect(sent).toEqual([failed, retried].map((s) => `00-${s.spanContext().traceId}-${s.spanContext().spanId}-01`));
  });

  it('sends no traceparent without propagate_trace_context, and still traces', async () => {
    receiver.on('/plain', ok(200));
    if (!plain) throw new Error('the plain app did not start');
    await plain.subscriptions.create({ url: receiver.url('/plain'), event_types: ['order.paid'] });
    const { event_id } = await dispatchWithin(plain, 'job', { event_type: 'order.paid', payload: {} });
    await waitFor(() => receiver.received('/plain').length === 1 || null, 'the delivery');
    expect(receiver.received('/plain')[0].headers.traceparent).toBeUndefined();
    await waitFor(() => finished('webhook.attempt', (s) => s.attributes['webhook.event_id'] === event_id).length === 1 || null, 'its attempt span');
  });

  it('counts deliveries by outcome and event type, times attempts, and reads the queue gauges from the store', async () => {
    receiver.on('/dead', ok(503));
    const dead = await app.subscriptions.create({ url: receiver.url('/dead'), event_types: ['invoice.voided'] });
    await app.delivery.dispatch({ event_type: 'invoice.voided', payload: {} });
    await waitFor(async () => (await app.store.countDeadLetters({ subscription_id: dead.subscription_id })) === 1 || null, 'the dead letter');
    // Claims stop: two deliveries stored 90 s ago now wait, due, in the queue.
    await app.module.get(DeliveryEngine).stopClaiming();
    const past = new Date(Date.now() - 90_000);
    await app.store.enqueue([
      {
        event: { event_id: 'stale-1', event_type: 'order.paid', body: '{}', occurred_at: past, source: null, created_at: past },
        deliveries: [
          { delivery_id: 'stale-d1', subscription_id: dead.subscription_id },
          { delivery_id: 'stale-d2', subscription_id: dead.subscription_id },
        ],
      },
    ]);

    // One app per process, as in production: the other one's gauges go with it (its counts stay in the sums).
    await plain?.module.close();
    plain = undefined;
    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const deliveries = dataPoints(resourceMetrics, 'webhook.deliveries');
    const count = (outcome: string, event_type: string) => deliveries.find((p) => p.attributes.outcome === outcome && p.attributes.event_type === event_type)?.value;
    // this file's first test: order.paid failed once, delivered twice; plus the plain app's one (same provider)
    expect(count('failed', 'order.paid')).toBe(1);
    expect(count('delivered', 'order.paid')).toBe(3);
    expect(count('failed', 'invoice.voided')).toBe(1);
    expect(count('dead_lettered', 'invoice.voided')).toBe(1);
    const durations = dataPoints(resourceMetrics, 'webhook.attempt.duration') as Array<{ attributes: Record<string, unknown>; value: { count: number; sum: number } }>;
    expect(durations.reduce((n, p) => n + p.value.count, 0)).toBe(6);
    expect(durations.find((p) => p.attributes.outcome === 'dead_lettered')?.value.count).toBe(1);
    expect(dataPoints(resourceMetrics, 'webhook.queue.pending').map((p) => p.value)).toEqual([2]);
    const [lag] = dataPoints(resourceMetrics, 'webhook.queue.lag').map((p) => p.value as number);
    expect(lag).toBeGreaterThanOrEqual(89);
    expect(lag).toBeLessThan(120);
    expect(dataPoints(resourceMetrics, 'webhook.dead_letters').map((p) => p.value)).toEqual([1]);
    expect(dataPoints(resourceMetrics, 'webhook.sends.in_flight').map((p) => p.value)).toEqual([0]);
  });
});

describeIfDatabase('postgres', 'OpenTelemetry across replicas (PostgreSQL)', () => {
  let receiver: TestReceiver;
  let dsA: DataSource;
  let dsB: DataSource;
  let a: App;
  let b: App;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    dsA = await createTestDataSource('postgres', { namespace: 'webhook_otel_replicas' });
    dsB = await createTestDataSource('postgres', { namespace: 'webhook_otel_replicas', dropSchema: false, synchronize: false });
    a = await start({ store_backend: 'typeorm' }, dsA);
    b = await start({ store_backend: 'typeorm', retry_max_attempts: 3, subscription_cache_ms: 0 }, dsB);
  });

  afterAll(async () => {
    await a?.module.close();
    await b?.module.close();
    await closeTestDataSource(dsA);
    await closeTestDataSource(dsB);
    await receiver?.close();
  });

  it('links the attempts another replica sends, retries included, to the dispatch span', async () => {
    // Replica A only dispatches (its engine takes no work); replica B sends, and retries after a failure.
    await a.module.get(DeliveryEngine).stopClaiming();
    receiver.on('/replica', failTimes(1));
    await a.subscriptions.create({ url: receiver.url('/replica'), event_types: ['order.paid'] });
    const { parent, event_id } = await dispatchWithin(a, 'POST /orders', { event_type: 'order.paid', payload: { order: 9 } });
    const [dispatch] = finished('webhook.dispatch', (s) => s.attributes['webhook.event_id'] === event_id);
    expect(dispatch.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    await waitFor(() => finished('webhook.attempt', (s) => s.attributes['webhook.event_id'] === event_id).length === 2 || null, 'both attempts', 15_000);
    const attempts = finished('webhook.attempt', (s) => s.attributes['webhook.event_id'] === event_id);
    expect(attempts.map((s) => s.attributes['webhook.outcome']).sort()).toEqual(['delivered', 'failed']);
    for (const s of attempts) {
      expect(s.links.map((l) => [l.context.traceId, l.context.spanId])).toEqual([[dispatch.spanContext().traceId, dispatch.spanContext().spanId]]);
    }
    // sent by B: A's attempt log shows nothing it sent itself
    expect(receiver.received('/replica')).toHaveLength(2);
  });
});
