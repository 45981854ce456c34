/** Event type names: letters, digits and `. _ - : /`, 1..200 characters. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9._:/-]{1,200}$/;
/** Subscription patterns may also use `*` as a wildcard (`user.*`, `*`). */
export const EVENT_TYPE_FILTER_PATTERN = /^[A-Za-z0-9._:/*-]{1,200}$/;

/**
 * Whether a subscription's `event_types` accept `eventType`: null accepts all; a pattern matches exactly or
 * with `*` standing for any run of characters (so `user.*` matches `user.created` and `user.email.changed`).
 */
export function eventTypeMatches(patterns: readonly string[] | null, eventType: string): boolean {
  if (patterns === null) return true;
  for (const pattern of patterns) {
    if (pattern === eventType || pattern === '*') return true;
    if (pattern.includes('*') && wildcardToRegExp(pattern).test(eventType)) return true;
  }
  return false;
}

const compiled = new Map<string, RegExp>();
function wildcardToRegExp(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (!re) {
    re = new RegExp('^' + pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&')).join('.*') + '$');
    if (compiled.size > 10_000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re;
}
