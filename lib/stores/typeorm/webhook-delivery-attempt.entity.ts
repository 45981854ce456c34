import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { DeliveryStatus } from '../../domain/types';
import { dateColumn, ID_LENGTH, varcharColumn } from './columns';

/** Row of `webhook_delivery_attempts`: the log of every HTTP try (see `DeliveryAttempt`). */
@Entity({ name: 'webhook_delivery_attempts' })
// The log is read newest first (attempted_at, attempt_number, attempt_id, all descending): the indexes end with
// that order so every listing is an index range scan, also on MySQL and SQLite, which cannot sort incrementally.
@Index('IDX_webhook_attempts_subscription', ['subscription_id', 'attempted_at', 'attempt_number', 'attempt_id'])
@Index('IDX_webhook_attempts_event', ['event_id'])
@Index('IDX_webhook_attempts_attempted', ['attempted_at', 'attempt_number', 'attempt_id'])
// The admin log's filters by event type and by status (dashboard), newest first, without reading the whole log.
@Index('IDX_webhook_attempts_type', ['event_type', 'attempted_at'])
@Index('IDX_webhook_attempts_status', ['status', 'attempted_at'])
export class WebhookDeliveryAttemptEntity {
  @PrimaryColumn({ type: 'varchar', length: ID_LENGTH, primaryKeyConstraintName: 'PK_webhook_delivery_attempts' })
  attempt_id: string;

  @Column(varcharColumn(ID_LENGTH))
  subscription_id: string;

  @Column(varcharColumn(ID_LENGTH))
  event_id: string;

  @Column(varcharColumn(200))
  event_type: string;

  @Column(varcharColumn(16))
  status: DeliveryStatus;

  @Column({ type: 'integer', nullable: true })
  status_code: number | null;

  @Column({ type: 'integer' })
  attempt_number: number;

  @Column(dateColumn())
  attempted_at: Date;

  @Column(dateColumn({ nullable: true }))
  next_retry_at: Date | null;

  @Column({ type: 'text', nullable: true })
  error_message: string | null;

  @Column({ type: 'integer' })
  duration_ms: number;
}
