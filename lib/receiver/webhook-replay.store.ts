/**
 * Where a receiver remembers the messages it has accepted, so that a replayed one is refused. Implement it on a
 * store every replica of the receiver shares (Redis, your database...) when the receiver runs on several
 * replicas; the package ships a memory store (the default, one process) and `TypeOrmReplayStore`.
 */
export interface WebhookReplayStore {
  /**
   * Records `id` until `expires_at` and says whether it is new: true the first time, false while an earlier
   * record of the same id has not expired. Must be atomic: of concurrent calls with one id, exactly one gets
   * true. `id` is an opaque key of at most 255 characters (the guard passes 64 hex characters).
   */
  remember(id: string, expires_at: Date): Promise<boolean>;
  /**
   * Optional: drops `id`, so that the sender's retry of a message the handler failed (the same signed bytes when
   * the retry comes within the same second) is let in. Called when the response to a remembered request is not a
   * 2xx. Without it, such a retry is refused as a replay until the sender re-signs it in a later second.
   */
  forget?(id: string): Promise<void>;
}

/** Whether `value` looks like a {@link WebhookReplayStore} (an object with a `remember` function). */
export function isWebhookReplayStore(value: unknown): value is WebhookReplayStore {
  return typeof value === 'object' && value !== null && typeof (value as WebhookReplayStore).remember === 'function';
}
