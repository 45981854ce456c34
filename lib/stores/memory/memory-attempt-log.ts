import type { AttemptStats, AttemptStatsQuery } from '../../domain/stats';
import { isFailedStatus } from '../../domain/stats';
import type { AttemptQuery, FailureRun } from '../../domain/stores';
import type { DeliveryAttempt } from '../../domain/types';
import { StatsAccumulator, StatsRange } from '../attempt-stats';
import { compareAttemptsNewestFirst, page } from '../store.utils';

/** The memory store's attempt log, indexed by id and by subscription. Holds its own copies. */
export class MemoryAttemptLog {
  private readonly byId = new Map<string, DeliveryAttempt>();
  private readonly bySubscription = new Map<string, DeliveryAttempt[]>();

  /** Appends a copy of `attempt`. */
  add(attempt: DeliveryAttempt): void {
    const copy = { ...attempt };
    this.byId.set(copy.attempt_id, copy);
    let list = this.bySubscription.get(copy.subscription_id);
    if (!list) this.bySubscription.set(copy.subscription_id, (list = []));
    list.push(copy);
  }

  /** The stored attempt itself (callers copy what they hand out). */
  get(attemptId: string): DeliveryAttempt | undefined {
    return this.byId.get(attemptId);
  }

  /** Copies of the matching attempts, newest first, paged. */
  list(query: AttemptQuery): DeliveryAttempt[] {
    const source = query.subscription_id !== undefined ? (this.bySubscription.get(query.subscription_id) ?? []) : [...this.byId.values()];
    const matches = source.filter(
      (a) =>
        (query.event_id === undefined || a.event_id === query.event_id) &&
        (query.status === undefined || a.status === query.status) &&
        (query.event_type === undefined || a.event_type === query.event_type) &&
        (query.since === undefined || a.attempted_at >= query.since) &&
        (query.until === undefined || a.attempted_at < query.until),
    );
    return page(matches.sort(compareAttemptsNewestFirst), query).map((a) => ({ ...a }));
  }

  /** Failed attempts of the subscription since `since` and after its last success at or after `since`. */
  failureRun(subscriptionId: string, since: Date): FailureRun {
    const list = this.bySubscription.get(subscriptionId) ?? [];
    const from = since.getTime();
    let lastSuccess = -Infinity;
    for (const a of list) if (a.status === 'delivered' && a.attempted_at.getTime() >= from) lastSuccess = Math.max(lastSuccess, a.attempted_at.getTime());
    let failures = 0;
    for (const a of list) {
      const t = a.attempted_at.getTime();
      if (isFailedStatus(a.status) && t >= from && t > lastSuccess) failures++;
    }
    return { failures, last_success_at: lastSuccess > -Infinity ? new Date(lastSuccess) : null };
  }

  /** Endpoint health from the logged attempts themselves (a scan: the memory store holds what a process can). */
  stats(query: AttemptStatsQuery): AttemptStats {
    const range = new StatsRange(query);
    const source = query.subscription_id !== undefined ? (this.bySubscription.get(query.subscription_id) ?? []) : this.byId.values();
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
    let n = 0;
    for (const [id, a] of this.byId) {
      if (a.attempted_at < before) {
        this.byId.delete(id);
        n++;
      }
    }
    for (const [sub, list] of this.bySubscription) {
      const kept = list.filter((a) => a.attempted_at >= before);
      if (kept.length) this.bySubscription.set(sub, kept);
      else this.bySubscription.delete(sub);
    }
    return n;
  }
}
