import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { dateColumn, ID_LENGTH } from '../../stores/typeorm/columns';

/**
 * Row of `webhook_receiver_replays`: one message a receiver accepted, kept until its timestamp leaves the
 * tolerance window (`TypeOrmReplayStore`). The primary key makes "seen before" atomic across replicas.
 */
@Entity({ name: 'webhook_receiver_replays' })
export class WebhookReceiverReplayEntity {
  @PrimaryColumn({ type: 'varchar', length: ID_LENGTH, primaryKeyConstraintName: 'PK_webhook_receiver_replays' })
  id: string;

  @Index('IDX_webhook_receiver_replays_expires')
  @Column(dateColumn())
  expires_at: Date;
}
