import { normalizeRoutePrefix } from '../admin/admin.prefix';

/** Default lifetime of a portal session, seconds. */
export const PORTAL_DEFAULT_EXPIRES_IN_SECONDS = 3600;

/** Longest lifetime of a portal session, seconds (7 days). */
export const PORTAL_MAX_EXPIRES_IN_SECONDS = 7 * 24 * 3600;

/** `portal_prefix` as routed (no leading or trailing slashes); default `webhooks/portal`. */
export function normalizePortalPrefix(prefix: string | undefined | null): string {
  return normalizeRoutePrefix(prefix, 'webhooks/portal');
}
