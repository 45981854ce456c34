/** Event type names: letters, digits and `. _ - : /`, 1..200 characters. */
export const EVENT_TYPE_PATTERN = /^[A-Za-z0-9._:/-]{1,200}$/;
/** Subscription patterns may also use `*` as a wildcard (`user.*`, `*`). */
export const EVENT_TYPE_FILTER_PATTERN = /^[A-Za-z0-9._:/*-]{1,200}$/;
/** Most `*` wildcards one subscription pattern may hold (`a.*.b.*` holds 2). */
export const MAX_PATTERN_WILDCARDS = 8;

/**
 * Whether a subscription's `event_types` accept `eventType`: null accepts all; a pattern matches exactly or
 * with `*` standing for any run of characters (so `user.*` matches `user.created` and `user.email.changed`).
 * Each pattern is matched by {@link wildcardMatches}, which never backtracks, so a stored pattern (also one
 * from before the `*` rules of {@link eventTypePatternProblem}) cannot stall the event loop.
 */
export function eventTypeMatches(patterns: readonly string[] | null, eventType: string): boolean {
  if (patterns === null) return true;
  for (const pattern of patterns) {
    if (pattern === eventType || pattern === '*') return true;
    if (pattern.includes('*') && wildcardMatches(pattern, eventType)) return true;
  }
  return false;
}

/**
 * Whether `text` matches `pattern`, where each `*` stands for any run of characters (also none) and every other
 * character for itself. No RegExp: the pattern is cut at its stars, the first piece must start `text`, the last
 * must end it, and each piece between is found with `indexOf` after the previous one (the leftmost place is
 * always the best one, so no choice is ever revisited). Cost: at most `text.length × pattern.length` character
 * comparisons (40,000 for two 200-character strings), whatever the number of stars; a backtracking RegExp of the
 * same pattern costs exponentially many.
 */
export function wildcardMatches(pattern: string, text: string): boolean {
  const pieces = pattern.split('*');
  if (pieces.length === 1) return pattern === text;
  const first = pieces[0];
  const last = pieces[pieces.length - 1];
  // The first and last pieces must not overlap: `ab*ba` does not match `aba`.
  if (text.length < first.length + last.length || !text.startsWith(first) || !text.endsWith(last)) return false;
  const end = text.length - last.length;
  let from = first.length;
  for (let i = 1; i < pieces.length - 1; i++) {
    const piece = pieces[i];
    if (piece === '') continue;
    const at = text.indexOf(piece, from);
    if (at === -1 || at + piece.length > end) return false;
    from = at + piece.length;
  }
  return true;
}

/**
 * What is wrong with the `*` wildcards of a subscription pattern, or null: a run of `*` (one already matches any
 * run of characters, so `**` only hides a mistake) and more than {@link MAX_PATTERN_WILDCARDS} of them are
 * refused. The characters allowed are {@link EVENT_TYPE_FILTER_PATTERN}'s business.
 */
export function eventTypePatternProblem(pattern: string): string | null {
  if (pattern.includes('**')) return `${JSON.stringify(pattern)} has consecutive '*'; one '*' already matches any run of characters`;
  let stars = 0;
  for (const ch of pattern) if (ch === '*') stars++;
  if (stars > MAX_PATTERN_WILDCARDS) {
    return `${JSON.stringify(pattern)} has ${stars} '*' wildcards; a pattern may hold at most ${MAX_PATTERN_WILDCARDS}`;
  }
  return null;
}
