/** A route prefix without leading or trailing slashes (`'/ops/hooks/'` -> `'ops/hooks'`); `fallback` when unset. */
export function normalizeRoutePrefix(prefix: string | undefined | null, fallback: string): string {
  return (prefix ?? fallback).replace(/^\/+|\/+$/g, '');
}

/** `admin_prefix` as routed; default `webhooks`. */
export function normalizeAdminPrefix(prefix: string | undefined | null): string {
  return normalizeRoutePrefix(prefix, 'webhooks');
}
