/** The longest `Retry-After` honoured, seconds (a receiver cannot park a delivery for days). */
export const MAX_RETRY_AFTER_SECONDS = 3600;

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date; null when absent or unparsable.
 * Capped at {@link MAX_RETRY_AFTER_SECONDS}.
 */
export function parseRetryAfter(value: string | string[] | undefined, now: Date): number | null {
  const raw = Array.isArray(value) ? value[0] : value;
  if (!raw) return null;
  const trimmed = raw.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return null;
    ms = at - now.getTime();
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_SECONDS * 1000);
}
