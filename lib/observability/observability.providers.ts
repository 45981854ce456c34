import type { Provider } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import { NO_WEBHOOK_TELEMETRY, type WebhookTelemetry } from '../delivery/telemetry.port';
import { WEBHOOK_CONFIG, WEBHOOK_TELEMETRY } from '../webhook.constants';
import { loadOpenTelemetry, type OpenTelemetryBindings } from './opentelemetry.loader';
import { QueueMonitor } from './queue-monitor';
import { WebhookHealthIndicator } from './webhook-health.indicator';
import { WEBHOOK_OPENTELEMETRY, WebhookMetrics } from './webhook-metrics';
import { WebhookStatsService } from './webhook-stats.service';

/**
 * Tracing (`WEBHOOK_TELEMETRY`, used by dispatch and the engine), metrics, the health indicator and the stats
 * service. OpenTelemetry is loaded once, when the module starts, if `@opentelemetry/api` is installed.
 */
export const OBSERVABILITY_PROVIDERS: Provider[] = [
  { provide: WEBHOOK_OPENTELEMETRY, useFactory: loadOpenTelemetry },
  {
    provide: WEBHOOK_TELEMETRY,
    inject: [WEBHOOK_CONFIG, WEBHOOK_OPENTELEMETRY],
    useFactory: (config: WebhookConfig, otel: OpenTelemetryBindings | null): WebhookTelemetry => (otel ? new otel.OtelTracing(config.propagate_trace_context) : NO_WEBHOOK_TELEMETRY),
  },
  QueueMonitor,
  WebhookMetrics,
  WebhookHealthIndicator,
  WebhookStatsService,
];

/** What the module exports of these. */
export const OBSERVABILITY_EXPORTS = [WebhookHealthIndicator, WebhookStatsService];
