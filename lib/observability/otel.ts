/**
 * The OpenTelemetry bindings: the only files that import `@opentelemetry/api`, an optional peer. The module loads
 * this file with a dynamic `import()` (see `loadOpenTelemetry`), so an app without the package never loads them.
 */
export { OtelTracing, formatTraceparent, parseTraceparent } from './otel-tracing';
export { OtelMetrics, type MetricSources } from './otel-metrics';
