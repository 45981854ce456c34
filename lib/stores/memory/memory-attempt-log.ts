import type { AttemptStats, AttemptStatsQuery } from '../../domain/stats';
import { isFailedStatus } from '../../domain/stats';
import type { AttemptCursor, AttemptQuery, FailureRun } from '../../domain/stores';
import type { DeliveryAttempt } from '../../domain/types';
import { StatsAccumulator, StatsRange } from '../attempt-stats';
import { compareAttemptsNewestFirst, pageBounds } from '../store.utils';
import { attemptCopy } from './memory-records';
import { SortedList } from './sorted-list';

/** Log order, oldest first: the lists are read backwards, newest first. */
const oldestFirst = (a: AttemptCursor, b: AttemptCursor) => compareAttemptsNewestFirst(b, a);

/**
 * The memory store's attempt log, in log order overall and per subscription (a page starts at its cursor: page
 * 500 costs what page 1 costs), and by id. Holds its own copies.
 */
export class MemoryAttemptLog {
  private readonly byId = new Map<string, DeliveryAttempt>();
  private readonly all = new SortedList<DeliveryAttempt>(oldestFirst);
  private readonly bySubscription = new Map<string, SortedList<DeliveryAttempt>>();

  /** Appends a copy of `attempt`. */
  add(attempt: DeliveryAttempt): void {
    const copy = attemptCopy(attempt);
    this.byId.set(copy.attempt_id, copy);
    this.all.insert(copy);
    let list = this.bySubscription.get(copy.subscription_id);
    if (!list) this.bySubscription.set(copy.subscription_id, (list = new SortedList<DeliveryAttempt>(oldestFirst)));
    list.insert(copy);
  }

  /** The stored attempt itself (callers copy what they hand out). */
  get(attemptId: string): DeliveryAttempt | undefined {
    return this.byId.get(attemptId);
  }

  /** Copies of the matching attempts, newest first, paged (by `before`, or by offset). */
  list(query: AttemptQuery): DeliveryAttempt[] {
    const { limit, offset } = pageBounds(query);
    const source = query.subscription_id !== undefined ? this.bySubscription.get(query.subscription_id) : this.all;
    const out: DeliveryAttempt[] = [];
    if (limit === 0 || !source) return out;
    let skipped = 0;
    for (const a of source.descendingFrom(query.before as DeliveryAttempt | undefined)) {
      if (query.since !== undefined && a.attempted_at < query.since) break;
      if (!matches(a, query)) continue;
      if (skipped++ < offset) continue;
      out.push(attemptCopy(a));
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Failed attempts of the subscription since `since` and after its last success at or after `since`. */
  failureRun(subscriptionId: string, since: Date): FailureRun {
    let failures = 0;
    // Newest first, back to the last success or to `since`. A failure at the very instant of that success is not
    // after it: those counted at its instant are taken back.
    let instant = NaN;
    let atInstant = 0;
    for (const a of this.bySubscription.get(subscriptionId)?.descendingFrom() ?? []) {
      if (a.attempted_at < since) break;
      const t = a.attempted_at.getTime();
      if (t !== instant) [instant, atInstant] = [t, 0];
      if (a.status === 'delivered') return { failures: failures - atInstant, last_success_at: new Date(t) };
      if (isFailedStatus(a.status)) [failures, atInstant] = [failures + 1, atInstant + 1];
    }
    return { failures, last_success_at: null };
  }

  /** Endpoint health from the logged attempts themselves (a scan: the memory store holds what a process can). */
  stats(query: AttemptStatsQuery): AttemptStats {
    const range = new StatsRange(query);
    const source = query.subscription_id !== undefined ? (this.bySubscription.get(query.subscription_id)?.from() ?? []) : this.all.from();
    const acc = new StatsAccumulator(range);
    let lastSuccess = -Infinity;
    const failures: number[] = [];
    for (const a of source) {
      const t = a.attempted_at.getTime();
      acc.addAttempt(a);
      if (a.status === 'delivered' && t < range.end) lastSuccess = Math.max(lastSuccess, t);
      if (isFailedStatus(a.status) && range.includes(t)) failures.push(t);
    }
    const consecutive = failures.filter((t) => t > lastSuccess).length;
    return acc.result(lastSuccess > -Infinity ? new Date(lastSuccess) : null, consecutive);
  }

  /** Deletes the attempts made before `before`; returns how many. */
  purge(before: Date): number {
    const cut = { attempted_at: before, attempt_number: -Infinity, attempt_id: '' } as DeliveryAttempt;
    const n = this.all.countBefore(cut);
    for (const a of this.all.from()) {
      if (a.attempted_at >= before) break;
      this.byId.delete(a.attempt_id);
    }
    this.all.dropFirst(n);
    for (const [sub, list] of this.bySubscription) {
      list.dropFirst(list.countBefore(cut));
      if (list.length === 0) this.bySubscription.delete(sub);
    }
    return n;
  }
}

/** Whether an attempt passes the filters of `query` other than subscription, paging and `since`. */
function matches(a: DeliveryAttempt, query: AttemptQuery): boolean {
  return (
    (query.event_id === undefined || a.event_id === query.event_id) &&
    (query.status === undefined || a.status === query.status) &&
    (query.event_type === undefined || a.event_type === query.event_type) &&
    (query.until === undefined || a.attempted_at < query.until)
  );
}
