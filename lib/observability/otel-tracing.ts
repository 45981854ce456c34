import { context, isSpanContextValid, ProxyTracerProvider, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Link, type Span, type SpanContext, type Tracer } from '@opentelemetry/api';
import { outcomeOf } from '../delivery/engine/attempt-decision';
import { NO_TRACE, type AttemptTrace } from '../delivery/engine/ports';
import type { DispatchSummary, DispatchTrace, WebhookTelemetry } from '../delivery/telemetry.port';
import type { ClaimedDelivery, DeliveryAttempt, WebhookSubscription } from '../domain/types';

/** Instrumentation scope of the spans and metrics. */
export const INSTRUMENTATION_SCOPE = 'nestjs-webhooks';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The W3C `traceparent` of a span context (version 00). */
export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/** A span context from a stored `traceparent`, or null when it is not a valid one. */
export function parseTraceparent(value: string | null | undefined): SpanContext | null {
  const m = value ? TRACEPARENT.exec(value) : null;
  if (!m) return null;
  const ctx: SpanContext = { traceId: m[1], spanId: m[2], traceFlags: parseInt(m[3], 16), isRemote: true };
  return isSpanContextValid(ctx) ? ctx : null;
}

/**
 * The spans of the delivery path through `@opentelemetry/api` (the app brings the SDK; without one, every span is
 * a non-recording no-op):
 * - `webhook.dispatch` (PRODUCER), a child of the caller's active span: `webhook.event_type`, `webhook.event_id`,
 *   `webhook.delivery_count`, `webhook.duplicate`. Its context is stored with the event.
 * - `webhook.attempt` (CLIENT), one per attempt, a root span LINKED to the dispatch span (whichever replica sends
 *   it, however much later): `webhook.subscription_id`, `webhook.event_id`, `webhook.event_type`,
 *   `webhook.attempt_number`, `http.response.status_code`, `webhook.outcome`, and `server.address`. With
 *   `propagate_trace_context` the attempt's own context goes to the receiver as `traceparent`.
 */
export class OtelTracing implements WebhookTelemetry {
  private readonly tracer: Tracer;
  /** The API's no-op provider: what the global provider delegates to while no SDK is registered. */
  private readonly noop = new ProxyTracerProvider().getDelegate();

  /** `propagate`: send the attempt's context to receivers (`propagate_trace_context`). */
  constructor(private readonly propagate: boolean) {
    this.tracer = trace.getTracer(INSTRUMENTATION_SCOPE);
  }

  /**
   * No SDK is registered (now: one may be later): every span would be a non-recording one with an invalid context,
   * so the traces are skipped. In a memory-store profile, making and ending those spans took about 1% of the samples.
   */
  private noSdk(): boolean {
    const provider = trace.getTracerProvider();
    return provider instanceof ProxyTracerProvider && provider.getDelegate() === this.noop;
  }

  startDispatch(eventType: string): DispatchTrace {
    // Without an SDK the span is the caller's active one, if any (its context is still stored with the event).
    if (this.noSdk() && trace.getSpan(context.active()) === undefined) return UNTRACED_DISPATCH;
    const span = this.tracer.startSpan('webhook.dispatch', { kind: SpanKind.PRODUCER, attributes: { 'webhook.event_type': eventType } }, context.active());
    const ctx = span.spanContext();
    return new OtelDispatchTrace(span, isSpanContextValid(ctx) ? formatTraceparent(ctx) : null);
  }

  startAttempt(claimed: ClaimedDelivery, subscription: WebhookSubscription | null): AttemptTrace {
    // A root span: without an SDK it has no valid context, so nothing links, records or propagates.
    if (this.noSdk()) return NO_TRACE;
    const { delivery, event } = claimed;
    const dispatched = parseTraceparent(event.traceparent);
    const links: Link[] | undefined = dispatched ? [{ context: dispatched, attributes: { 'webhook.link': 'dispatch' } }] : undefined;
    const span = this.tracer.startSpan('webhook.attempt', { kind: SpanKind.CLIENT, root: true, links }, ROOT_CONTEXT);
    if (span.isRecording()) {
      span.setAttributes({
        'webhook.subscription_id': delivery.subscription_id,
        'webhook.event_id': event.event_id,
        'webhook.event_type': event.event_type,
        'webhook.attempt_number': delivery.attempts + 1,
      });
      const host = subscription ? hostOf(subscription.url) : null;
      if (host) span.setAttribute('server.address', host);
    }
    const ctx = span.spanContext();
    const headers = this.propagate && subscription && isSpanContextValid(ctx) ? traceHeaders(ctx) : null;
    return new OtelAttemptTrace(span, headers);
  }
}

class OtelDispatchTrace implements DispatchTrace {
  constructor(
    private readonly span: Span,
    readonly traceparent: string | null,
  ) {}

  end(summary: DispatchSummary | null, error?: unknown): void {
    if (summary) {
      this.span.setAttributes({ 'webhook.event_id': summary.event_id, 'webhook.delivery_count': summary.delivery_count, 'webhook.duplicate': summary.duplicate });
    } else {
      if (error instanceof Error) this.span.recordException(error);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : 'not stored' });
    }
    this.span.end();
  }
}

class OtelAttemptTrace implements AttemptTrace {
  constructor(
    private readonly span: Span,
    readonly headers: Readonly<Record<string, string>> | null,
  ) {}

  end(attempt: DeliveryAttempt | null): void {
    if (!attempt) {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: 'attempt not recorded (interrupted by shutdown, or the store failed)' });
      this.span.end();
      return;
    }
    if (this.span.isRecording()) {
      if (attempt.status !== 'pending') this.span.setAttribute('webhook.outcome', outcomeOf(attempt.status));
      if (attempt.status_code !== null) this.span.setAttribute('http.response.status_code', attempt.status_code);
      if (attempt.status !== 'delivered') this.span.setStatus({ code: SpanStatusCode.ERROR, message: attempt.error_message ?? attempt.status });
    }
    this.span.end();
  }
}

/** What a no-op span would have given: no context to store or send, nothing to end. */
const UNTRACED_DISPATCH: DispatchTrace = Object.freeze({ traceparent: null, end: () => undefined });

function traceHeaders(ctx: SpanContext): Record<string, string> {
  const headers: Record<string, string> = { traceparent: formatTraceparent(ctx) };
  const state = ctx.traceState?.serialize();
  if (state) headers.tracestate = state;
  return headers;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}
