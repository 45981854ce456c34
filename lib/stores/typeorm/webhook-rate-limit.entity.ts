import { Column, Entity, PrimaryColumn } from 'typeorm';
import { ID_LENGTH } from './columns';

/**
 * Row of `webhook_rate_limits`: the bucket of one subscription with a `rate_limit_per_second` (see `RateBucket`),
 * shared by every replica. Written with its subscription (a row exists exactly while the limit is set); a claim
 * locks it while it takes tokens.
 */
@Entity({ name: 'webhook_rate_limits' })
export class WebhookRateLimitEntity {
  @PrimaryColumn({ type: 'varchar', length: ID_LENGTH, primaryKeyConstraintName: 'PK_webhook_rate_limits' })
  subscription_id: string;

  /** Theoretical arrival time, µs since the epoch (drivers may return a string). */
  @Column({ type: 'bigint' })
  tat_us: string | number;
}
