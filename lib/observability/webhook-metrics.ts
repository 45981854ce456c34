import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { DeliveryEngine } from '../delivery/engine/delivery-engine';
import type { OpenTelemetryBindings } from './opentelemetry.loader';
import type { OtelMetrics } from './otel-metrics';
import { QueueMonitor } from './queue-monitor';

/** Injection token of the OpenTelemetry bindings (null without `@opentelemetry/api`). */
export const WEBHOOK_OPENTELEMETRY = Symbol('WEBHOOK_OPENTELEMETRY');

/** At most one log line a minute about failing queue readings (a database outage would repeat it every collection). */
const ERROR_LOG_INTERVAL_MS = 60_000;

/**
 * The Nest host of the metrics (see `OtelMetrics`): registers the instruments on the global MeterProvider when the
 * app has bootstrapped, feeds them from the engine and the queue monitor, and removes them at shutdown. Does nothing
 * without `@opentelemetry/api`, or without an SDK MeterProvider registered by then.
 */
@Injectable()
export class WebhookMetrics implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WebhookMetrics');
  private metrics: OtelMetrics | null = null;
  private lastErrorLog = 0;

  constructor(
    @Inject(WEBHOOK_OPENTELEMETRY) private readonly otel: OpenTelemetryBindings | null,
    @Inject(DeliveryEngine) private readonly engine: DeliveryEngine,
    @Inject(QueueMonitor) private readonly monitor: QueueMonitor,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.otel) return;
    const engine = this.engine;
    const metrics = new this.otel.OtelMetrics();
    const started = metrics.start({
      outcomes: engine.outcomes,
      sendsInFlight: () => engine.activeSends,
      readQueue: () => this.monitor.read(),
      onError: (err) => {
        if (Date.now() - this.lastErrorLog < ERROR_LOG_INTERVAL_MS) return;
        this.lastErrorLog = Date.now();
        this.logger.warn(`reading the queue for the metrics failed (the queue gauges report nothing until it works): ${(err as Error).message}`);
      },
    });
    if (started) this.metrics = metrics;
  }

  beforeApplicationShutdown(): void {
    this.metrics?.stop();
    this.metrics = null;
  }
}
