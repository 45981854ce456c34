import { newId } from '../../domain/ids';
import type { AttemptCompletion, DeliveryQueue } from '../../domain/stores';
import type { ClaimedDelivery, DeliveryAttempt } from '../../domain/types';
import type { SendResult } from '../http/transport';
import type { AttemptDecision } from './attempt-decision';
import { WriteBatcher } from './write-batcher';

/** What was recorded: the logged attempt, and whether the delivery's state change applied. */
export interface RecordedAttempt {
  attempt: DeliveryAttempt;
  /** False when the lease was lost meanwhile (re-queued, or re-claimed after it expired): the new holder decides. */
  applied: boolean;
}

/**
 * Logs attempts and moves their deliveries on (`DeliveryQueue.complete`). Attempts finishing together share one
 * store write (group commit), one such write at a time, so the rest gather into the next; sends never wait for
 * it to free their slot on a 2xx.
 */
export class AttemptRecorder {
  private readonly writes: WriteBatcher<AttemptCompletion, boolean>;

  constructor(
    queue: Pick<DeliveryQueue, 'complete'>,
    private readonly workerId: string,
    /** Most completions per write. */
    maxBatch: number,
    /** Write each at once, alone (a store with no commit to share, such as memory). */
    immediate: boolean,
  ) {
    this.writes = new WriteBatcher((items) => queue.complete(items), maxBatch, 1, immediate);
  }

  /** Records one attempt of `claimed` that started at `attemptedAt`, with what was sent and decided. */
  async record(claimed: ClaimedDelivery, attemptedAt: Date, result: Pick<SendResult, 'status_code' | 'error_message' | 'duration_ms'>, decision: AttemptDecision): Promise<RecordedAttempt> {
    const { delivery, event } = claimed;
    const attempt: DeliveryAttempt = {
      attempt_id: newId(),
      subscription_id: delivery.subscription_id,
      event_id: event.event_id,
      event_type: event.event_type,
      status: decision.status,
      status_code: result.status_code,
      attempt_number: delivery.attempts + 1,
      attempted_at: attemptedAt,
      next_retry_at: decision.next.status === 'pending' ? decision.next.next_attempt_at : null,
      error_message: result.error_message,
      duration_ms: result.duration_ms,
    };
    const applied = await this.writes.add({ delivery_id: delivery.delivery_id, worker_id: this.workerId, attempt, next: decision.next });
    return { attempt, applied };
  }
}
