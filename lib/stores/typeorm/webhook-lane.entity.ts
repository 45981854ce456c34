import { Column, Entity, PrimaryColumn } from 'typeorm';
import { ID_LENGTH } from './columns';

/**
 * Row of `webhook_lanes`: the sequence of one ordering lane (a subscription with `ordered: true` and an
 * `ordering_key`). Enqueueing to the lane takes the next numbers and holds the row until its transaction ends, so
 * a lane's deliveries are numbered in commit order. Deleted by retention once idle for a day.
 */
@Entity({ name: 'webhook_lanes' })
export class WebhookLaneEntity {
  @PrimaryColumn({ type: 'varchar', length: ID_LENGTH, primaryKeyConstraintName: 'PK_webhook_lanes' })
  subscription_id: string;

  @PrimaryColumn({ type: 'varchar', length: 255, primaryKeyConstraintName: 'PK_webhook_lanes' })
  lane_key: string;

  /**
   * The last number given: never below the time of the last enqueue in ms since the epoch (see `nextLaneSeqs`),
   * so numbers keep increasing also after an idle lane's row was deleted. Drivers may return a string.
   */
  @Column({ type: 'bigint' })
  last_seq: string | number;
}
