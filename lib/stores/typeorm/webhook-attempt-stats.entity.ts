import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { ID_LENGTH } from './columns';

/**
 * Row of `webhook_attempt_stats`: how many attempts a subscription sent in one 5-minute slice with durations of one
 * class (see `STATS_SLICE_MS`, `DURATION_CLASS_BOUNDS_MS`), and how many of them were delivered or failed; the rows
 * with `subscription_id` `*` count every subscription. Written together with the attempts they count, so endpoint
 * stats read a few hundred rows whatever the size of the attempt log; purged with the attempts.
 */
@Entity({ name: 'webhook_attempt_stats' })
@Index('IDX_webhook_attempt_stats_slice', ['slice_start'])
export class WebhookAttemptStatsEntity {
  @PrimaryColumn({ type: 'varchar', length: ID_LENGTH, primaryKeyConstraintName: 'PK_webhook_attempt_stats' })
  subscription_id: string;

  @PrimaryColumn({ type: Date, precision: 3, primaryKeyConstraintName: 'PK_webhook_attempt_stats' })
  slice_start: Date;

  @PrimaryColumn({ type: 'integer', primaryKeyConstraintName: 'PK_webhook_attempt_stats' })
  duration_class: number;

  @Column({ type: 'integer' })
  attempts: number;

  @Column({ type: 'integer' })
  delivered: number;

  @Column({ type: 'integer' })
  failed: number;
}
