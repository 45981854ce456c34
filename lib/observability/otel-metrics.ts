import { createNoopMeter, metrics, ValueType, type BatchObservableCallback, type Meter, type Observable as OtelObservable } from '@opentelemetry/api';
import type { Observable, Subscription } from 'rxjs';
import type { WebhookOutcome } from '../domain/outcome';
import { INSTRUMENTATION_SCOPE } from './otel-tracing';
import type { QueueReading } from './queue-monitor';

/** Bucket bounds (ms) of `webhook.attempt.duration`, advised to the SDK. */
const DURATION_BUCKETS_MS = [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 30_000];

/** Where the metrics come from. */
export interface MetricSources {
  /** Every outcome, after it is stored (`WebhookDeliveryService.outcomes$`). */
  outcomes: Observable<WebhookOutcome>;
  /** Sends in flight in this process. */
  sendsInFlight(): number;
  /** The queue's state, cached (`QueueMonitor.read`). */
  readQueue(): Promise<QueueReading>;
  /** A queue reading failed (the gauges then report nothing for that collection). */
  onError(error: unknown): void;
}

/**
 * The metrics through `@opentelemetry/api`, on the meter the app's SDK provides (register the SDK's MeterProvider
 * before the app bootstraps; without one, nothing is recorded and nothing listens):
 * - `webhook.deliveries` (counter): one per attempt, by `outcome` (delivered, failed, dead_lettered, cancelled)
 *   and `event_type`;
 * - `webhook.attempt.duration` (histogram, ms): attempts that were sent, by `outcome`;
 * - `webhook.sends.in_flight` (gauge): this process's sends in flight;
 * - `webhook.queue.pending`, `webhook.queue.lag` (seconds since the oldest due delivery became due) and
 *   `webhook.dead_letters` (gauges): the whole queue, read from the store at most every few seconds.
 */
export class OtelMetrics {
  private readonly meter: Meter;
  private subscription: Subscription | null = null;
  private batch: { callback: BatchObservableCallback; observables: OtelObservable[] } | null = null;

  constructor() {
    this.meter = metrics.getMeter(INSTRUMENTATION_SCOPE);
  }

  /**
   * Creates the instruments and starts feeding them; false (nothing done) when no SDK MeterProvider is registered:
   * the API's meters are then no-ops for good, and listening to every outcome would only cost time.
   */
  start(sources: MetricSources): boolean {
    const deliveries = this.meter.createCounter('webhook.deliveries', { description: 'Delivery attempts by outcome and event type', unit: '{attempt}', valueType: ValueType.INT });
    if (deliveries === createNoopMeter().createCounter('webhook.deliveries')) return false;
    const duration = this.meter.createHistogram('webhook.attempt.duration', {
      description: 'Duration of the delivery attempts that were sent',
      unit: 'ms',
      advice: { explicitBucketBoundaries: DURATION_BUCKETS_MS },
    });
    this.subscription = sources.outcomes.subscribe((o) => {
      if (o.type === 'subscription_disabled' || o.type === 'subscription_failing') return;
      deliveries.add(1, { outcome: o.type, event_type: o.attempt.event_type });
      if (o.type !== 'cancelled') duration.record(o.attempt.duration_ms, { outcome: o.type });
    });
    const inFlight = this.meter.createObservableGauge('webhook.sends.in_flight', { description: 'HTTP sends in flight in this process', unit: '{send}', valueType: ValueType.INT });
    const pending = this.meter.createObservableGauge('webhook.queue.pending', { description: 'Deliveries waiting in the store (due, leased or scheduled for a retry)', unit: '{delivery}', valueType: ValueType.INT });
    const lag = this.meter.createObservableGauge('webhook.queue.lag', { description: 'Age of the oldest due delivery', unit: 's' });
    const dead = this.meter.createObservableGauge('webhook.dead_letters', { description: 'Deliveries currently dead-lettered', unit: '{delivery}', valueType: ValueType.INT });
    const callback: BatchObservableCallback = async (result) => {
      result.observe(inFlight, sources.sendsInFlight());
      try {
        const q = await sources.readQueue();
        result.observe(pending, q.pending);
        result.observe(lag, q.lag_seconds);
        result.observe(dead, q.dead_letters);
      } catch (err) {
        sources.onError(err);
      }
    };
    const observables = [inFlight, pending, lag, dead];
    this.meter.addBatchObservableCallback(callback, observables);
    this.batch = { callback, observables };
    return true;
  }

  stop(): void {
    this.subscription?.unsubscribe();
    this.subscription = null;
    if (this.batch) this.meter.removeBatchObservableCallback(this.batch.callback, this.batch.observables);
    this.batch = null;
  }
}
