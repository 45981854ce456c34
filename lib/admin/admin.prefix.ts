/** `admin_prefix` without leading or trailing slashes (`'/ops/hooks/'` -> `'ops/hooks'`); default `webhooks`. */
export function normalizeAdminPrefix(prefix: string | undefined | null): string {
  return (prefix ?? 'webhooks').replace(/^\/+|\/+$/g, '');
}
