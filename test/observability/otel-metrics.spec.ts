import { afterAll, describe, expect, it } from '@jest/globals';
import { metrics } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Subject } from 'rxjs';
import type { WebhookOutcome } from '../../lib/domain/outcome';
import { OtelMetrics } from '../../lib/observability/otel-metrics';

const sources = (outcomes: Subject<WebhookOutcome>) => ({
  outcomes,
  sendsInFlight: () => 0,
  readQueue: async () => ({ pending: 0, oldest_due_at: null, dead_letters: 0, at: new Date(), lag_seconds: 0 }),
  onError: () => undefined,
});

describe('OtelMetrics without and with an SDK', () => {
  afterAll(() => metrics.disable());

  it('does nothing, not even listen to outcomes, while no MeterProvider is registered', () => {
    const outcomes = new Subject<WebhookOutcome>();
    expect(new OtelMetrics().start(sources(outcomes))).toBe(false);
    expect(outcomes.observed).toBe(false);
  });

  it('registers its instruments and listens once a MeterProvider is registered, and stops listening on stop()', () => {
    metrics.setGlobalMeterProvider(new MeterProvider());
    const outcomes = new Subject<WebhookOutcome>();
    const m = new OtelMetrics();
    expect(m.start(sources(outcomes))).toBe(true);
    expect(outcomes.observed).toBe(true);
    m.stop();
    expect(outcomes.observed).toBe(false);
  });
});
