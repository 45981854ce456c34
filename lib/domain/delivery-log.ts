import type { AttemptStats, AttemptStatsQuery } from './stats';
import type { DeliveryAttempt, DeliveryRecord, DeliveryStatus, StoredEvent } from './types';

/** What {@link DeliveryLog.recentFailureRun} finds. */
export interface FailureRun {
  /** Failures since the last success. */
  failures: number;
  /** The last success; null if none. */
  last_success_at: Date | null;
}

/** Filters of {@link DeliveryLog.getAttempts}. */
export interface AttemptQuery {
  /** Only this endpoint's. */
  subscription_id?: string;
  /** Only this event's. */
  event_id?: string;
  /** Only attempts with this status. */
  status?: DeliveryStatus;
  /** Only this event type's. */
  event_type?: string;
  /** Attempted at or after. */
  since?: Date;
  /** Attempted before. */
  until?: Date;
  /** Default 100. */
  limit?: number;
  /** Default 0. Prefer `before`: an offset costs what it skips. */
  offset?: number;
  /** Keyset paging: only attempts listed after this one (the last of the previous page), i.e. older. */
  before?: AttemptCursor;
}

/** Where an attempt stands in log order (newest first: attempted_at, attempt_number, attempt_id, descending). */
export interface AttemptCursor {
  /** Of the last attempt seen. */
  attempted_at: Date;
  /** Of the last attempt seen. */
  attempt_number: number;
  /** Of the last attempt seen. */
  attempt_id: string;
}

/** Filters of {@link DeliveryLog.getDeadLetters}. */
export interface DeadLetterQuery {
  /** Only this endpoint's. */
  subscription_id?: string;
  /** Page size. */
  limit?: number;
  /** Rows to skip. */
  offset?: number;
  /** Keyset paging, as in {@link AttemptQuery.before}. */
  before?: AttemptCursor;
}

/** The attempt log and what operators read: the admin API, auto-disable. */
export interface DeliveryLog {
  /** Appends one attempt to the log (no queue change): attempts made outside the queue, such as test sends. */
  recordAttempt(attempt: DeliveryAttempt): Promise<void>;
  /** One attempt, or null. */
  getAttempt(attemptId: string): Promise<DeliveryAttempt | null>;
  /** Newest first. */
  getAttempts(query?: AttemptQuery): Promise<DeliveryAttempt[]>;
  /** The last attempt of each delivery currently dead-lettered, newest first. */
  getDeadLetters(query?: DeadLetterQuery): Promise<DeliveryAttempt[]>;
  /** How many deliveries are dead-lettered. */
  countDeadLetters(query?: Pick<DeadLetterQuery, 'subscription_id'>): Promise<number>;
  /** Failed attempts of the subscription since `since` and after its last success. */
  countRecentFailures(subscriptionId: string, since: Date): Promise<number>;
  /**
   * The same count, with the last success at or after `since` (null when none) that started the run: a run of
   * failures is told from the next one by it (early warnings are reported once per run).
   */
  recentFailureRun(subscriptionId: string, since: Date): Promise<FailureRun>;
  /** An accepted event with its body as sent, until it is purged. */
  getEvent(eventId: string): Promise<StoredEvent | null>;
  /** The queue state of one event's delivery to one subscription. */
  getDelivery(eventId: string, subscriptionId: string): Promise<DeliveryRecord | null>;
  /** Endpoint health over a range: counts, estimated p50/p95, last success, the current run of failures, a series. */
  attemptStats(query: AttemptStatsQuery): Promise<AttemptStats>;
}
