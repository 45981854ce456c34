import { NO_TRACE, type AttemptTelemetry } from './engine/ports';

/** What a traced `dispatch()` learned, for its span. */
export interface DispatchSummary {
  event_id: string;
  delivery_count: number;
  duplicate: boolean;
}

/** One `dispatch()` being traced. */
export interface DispatchTrace {
  /** The W3C `traceparent` to store with the event (attempts' spans link to it), or null. */
  readonly traceparent: string | null;
  /** The event was stored (`summary`), or refused or not stored (`error`). */
  end(summary: DispatchSummary | null, error?: unknown): void;
}

/**
 * Tracing of the delivery path: `webhook.dispatch` spans (here) and `webhook.attempt` spans (the engine's
 * {@link AttemptTelemetry}). The module provides it as `WEBHOOK_TELEMETRY`: built on `@opentelemetry/api` when that
 * optional peer is installed, else {@link NO_WEBHOOK_TELEMETRY}.
 */
export interface WebhookTelemetry extends AttemptTelemetry {
  /** A `dispatch()` of an event of `eventType` starts, within the caller's active context. */
  startDispatch(eventType: string): DispatchTrace;
}

/** The trace of a dispatch without telemetry. */
export const NO_DISPATCH_TRACE: DispatchTrace = Object.freeze({ traceparent: null, end: () => undefined });

/** Telemetry that does nothing and allocates nothing. */
export const NO_WEBHOOK_TELEMETRY: WebhookTelemetry = Object.freeze({ startDispatch: () => NO_DISPATCH_TRACE, startAttempt: () => NO_TRACE });
