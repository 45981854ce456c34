import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { dateColumn, ID_LENGTH, varcharColumn } from './columns';

/**
 * Row of `webhook_subscription_changes`: one per subscription written (created, updated, deleted), in the same
 * transaction, so that every process can follow the changes (`changesSince`) instead of reloading every
 * subscription. Kept for a day (retention).
 */
@Entity({ name: 'webhook_subscription_changes' })
@Index('IDX_webhook_subscription_changes_changed', ['changed_at'])
export class WebhookSubscriptionChangeEntity {
  /** Increasing; `integer` so that SQLite can make it an autoincrement key (2^31 changes on the server databases). */
  @PrimaryGeneratedColumn('increment', { type: 'integer', primaryKeyConstraintName: 'PK_webhook_subscription_changes' })
  change_id: number;

  @Column(varcharColumn(ID_LENGTH))
  subscription_id: string;

  @Column(dateColumn())
  changed_at: Date;
}
