/** What `./otel` exports: the OpenTelemetry bindings. */
export type OpenTelemetryBindings = typeof import('./otel.js');

/**
 * The OpenTelemetry bindings, or null when `@opentelemetry/api` (an optional peer) is not installed: they are loaded
 * with a dynamic `import()`, so an app without the package starts and delivers as before, with no tracing or metrics.
 */
export async function loadOpenTelemetry(): Promise<OpenTelemetryBindings | null> {
  try {
    return await import('./otel.js');
  } catch (err) {
    const e = err as { code?: string; message?: string } | null;
    const missing = (e?.code === 'MODULE_NOT_FOUND' || e?.code === 'ERR_MODULE_NOT_FOUND') && /['"]@opentelemetry\/api['"]/.test(e.message ?? '');
    if (missing) return null;
    throw err;
  }
}
