import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { DeliveryRecord } from '../../domain/types';
import { dateColumn, ID_LENGTH, varcharColumn } from './columns';

/** Row of `webhook_deliveries`: one event x subscription, the unit of the delivery queue (see `DeliveryRecord`). */
@Entity({ name: 'webhook_deliveries' })
@Index('UQ_webhook_deliveries_event_subscription', ['event_id', 'subscription_id'], { unique: true })
@Index('IDX_webhook_deliveries_due', ['status', 'next_attempt_at'])
@Index('IDX_webhook_deliveries_lease', ['status', 'locked_until'])
@Index('IDX_webhook_deliveries_locked_by', ['locked_by'])
@Index('IDX_webhook_deliveries_subscription', ['subscription_id', 'status'])
// A laned delivery's turn: the pending deliveries of its lane, by sequence (where the database has partial indexes,
// only those: an index this small is the one the planner takes even with statistics from before a burst of laned
// deliveries; with `status` among its columns, PostgreSQL probed each lane through the subscription index instead).
@Index('IDX_webhook_deliveries_lane', ['subscription_id', 'lane_key', 'lane_seq'], { where: "lane_key IS NOT NULL AND status = 'pending'" })
export class WebhookDeliveryEntity {
  @PrimaryColumn({ type: 'varchar', length: ID_LENGTH, primaryKeyConstraintName: 'PK_webhook_deliveries' })
  delivery_id: string;

  @Column(varcharColumn(ID_LENGTH))
  event_id: string;

  @Column(varcharColumn(ID_LENGTH))
  subscription_id: string;

  @Column(varcharColumn(200))
  event_type: string;

  @Column(varcharColumn(16))
  status: DeliveryRecord['status'];

  /** Ordering lane (`DeliveryRecord.lane`); NULL for an unordered delivery. */
  @Column(varcharColumn(255, { nullable: true }))
  lane_key: string | null;

  /** Place in its lane (from `webhook_lanes`); NULL for an unordered delivery. Drivers may return a string. */
  @Column({ type: 'bigint', nullable: true })
  lane_seq: string | number | null;

  /** Attempts made in the current cycle. */
  @Column({ type: 'integer' })
  attempts: number;

  @Column(dateColumn())
  next_attempt_at: Date;

  /** Lease: held by `locked_by` until then. */
  @Column(dateColumn({ nullable: true }))
  locked_until: Date | null;

  @Column(varcharColumn(ID_LENGTH, { nullable: true }))
  locked_by: string | null;

  @Column(varcharColumn(ID_LENGTH, { nullable: true }))
  last_attempt_id: string | null;

  @Column(dateColumn())
  created_at: Date;

  @Column(dateColumn())
  updated_at: Date;
}
