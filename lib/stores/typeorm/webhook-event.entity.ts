import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bodyTransformer, dateColumn, ID_LENGTH, varcharColumn } from './columns';

/** Row of `webhook_events`: one accepted event, its body exactly as sent (see `StoredEvent`). */
@Entity({ name: 'webhook_events' })
@Index('IDX_webhook_events_created', ['created_at', 'event_id'])
export class WebhookEventEntity {
  /** Primary key, so re-dispatching an event id is idempotent. */
  @PrimaryColumn({ type: 'varchar', length: ID_LENGTH, primaryKeyConstraintName: 'PK_webhook_events' })
  event_id: string;

  @Column(varcharColumn(200))
  event_type: string;

  /** Serialized body; stored as the JSON document `{"text": body}` (see `bodyTransformer`). */
  @Column({ type: 'json', transformer: bodyTransformer })
  body: string;

  @Column(dateColumn())
  occurred_at: Date;

  @Column(varcharColumn(255, { nullable: true }))
  source: string | null;

  @Column(dateColumn())
  created_at: Date;

  /** W3C `traceparent` of the dispatch span (null without tracing); attempts' spans link to it. */
  @Column(varcharColumn(255, { nullable: true }))
  traceparent?: string | null;
}
