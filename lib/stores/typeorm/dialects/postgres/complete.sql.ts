import type { DataSource } from 'typeorm';
import type { AttemptCompletion } from '../../../../domain/delivery-queue';
import { statsRowsOf } from '../../../attempt-stats';
import { attemptToRow } from '../../typeorm-rows';
import { WebhookDeliveryAttemptEntity } from '../../webhook-delivery-attempt.entity';
import { WebhookDeliveryEntity } from '../../webhook-delivery.entity';
import { dateParam, textFor, type SqlStatement } from '../sql-statement';
import { statsUpsertText, statsValues } from './add-stats.sql';

/**
 * The completion, ONE statement: logs the attempts, adds them to the stats rows, and moves on each delivery whose
 * worker still holds the lease (releasing it). Returns `{ delivery_id }` of each delivery it moved.
 */
export function pgComplete(ds: DataSource, items: readonly AttemptCompletion[]): SqlStatement {
  const text = textFor(ds, 'pg.complete', (names) => {
    const { table, columns } = names;
    const lg = columns(WebhookDeliveryAttemptEntity);
    const dl = columns(WebhookDeliveryEntity);
    return (
      `WITH logged AS (INSERT INTO ${table(WebhookDeliveryAttemptEntity)} (${lg('attempt_id')}, ${lg('subscription_id')}, ${lg('event_id')}, ${lg('event_type')}, ` +
      `${lg('status')}, ${lg('status_code')}, ${lg('attempt_number')}, ${lg('attempted_at')}, ${lg('next_retry_at')}, ${lg('error_message')}, ${lg('duration_ms')}) ` +
      `SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], $6::int[], $7::int[], $8::timestamp(3)[], $9::timestamp(3)[], $10::text[], $11::int[])), ` +
      // The delivery's attempts, last attempt and update time are its attempt's number ($7), id ($1) and time ($8).
      `moved AS (UPDATE ${table(WebhookDeliveryEntity)} AS d SET ${dl('status')} = v.status, ${dl('attempts')} = v.attempts, ${dl('last_attempt_id')} = v.attempt_id, ` +
      `${dl('locked_by')} = NULL, ${dl('locked_until')} = NULL, ${dl('updated_at')} = v.updated_at, ${dl('next_attempt_at')} = COALESCE(v.next_at, d.${dl('next_attempt_at')}) ` +
      `FROM unnest($12::varchar[], $13::varchar[], $14::varchar[], $7::int[], $1::varchar[], $8::timestamp(3)[], $15::timestamp(3)[]) AS v(id, worker, status, attempts, attempt_id, updated_at, next_at) ` +
      `WHERE d.${dl('delivery_id')} = v.id AND d.${dl('locked_by')} = v.worker RETURNING d.${dl('delivery_id')} AS delivery_id), ` +
      `counted AS (${statsUpsertText(names, 16)}) ` +
      `SELECT delivery_id FROM moved`
    );
  });
  const at = dateParam(ds);
  const attempts = items.map((c) => attemptToRow(c.attempt));
  return {
    text,
    values: [
      attempts.map((a) => a.attempt_id),
      attempts.map((a) => a.subscription_id),
      attempts.map((a) => a.event_id),
      attempts.map((a) => a.event_type),
      attempts.map((a) => a.status),
      attempts.map((a) => a.status_code),
      attempts.map((a) => a.attempt_number),
      attempts.map((a) => at(a.attempted_at)),
      attempts.map((a) => at(a.next_retry_at)),
      attempts.map((a) => a.error_message),
      attempts.map((a) => a.duration_ms),
      items.map((c) => c.delivery_id),
      items.map((c) => c.worker_id),
      items.map((c) => c.next.status),
      items.map((c) => at(c.next.status === 'pending' ? c.next.next_attempt_at : null)),
      ...statsValues(ds, statsRowsOf(items.map((c) => c.attempt))),
    ],
  };
}
