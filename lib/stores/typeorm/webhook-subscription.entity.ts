import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { SignatureType } from '../../config/webhook-config';
import type { WebhookFilter } from '../../domain/filter/webhook-filter';
import { dateColumn, ID_LENGTH, varcharColumn } from './columns';

/** Row of `webhook_subscriptions`: a customer's endpoint (see `WebhookSubscription`). */
@Entity({ name: 'webhook_subscriptions' })
@Index('IDX_webhook_subscriptions_created', ['created_at', 'subscription_id'])
@Index('IDX_webhook_subscriptions_tenant', ['tenant_id', 'created_at'])
export class WebhookSubscriptionEntity {
  @PrimaryColumn({ type: 'varchar', length: ID_LENGTH, primaryKeyConstraintName: 'PK_webhook_subscriptions' })
  subscription_id: string;

  @Column(varcharColumn(2048))
  url: string;

  @Column(varcharColumn(255))
  secret: string;

  /** JSON array of exact names or `*` patterns; NULL = all event types. */
  @Column({ type: 'simple-json', nullable: true })
  event_types: string[] | null;

  @Column({ type: 'boolean' })
  active: boolean;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column(varcharColumn(ID_LENGTH, { nullable: true }))
  tenant_id: string | null;

  @Column(dateColumn())
  created_at: Date;

  @Column({ type: 'simple-json' })
  metadata: Record<string, unknown>;

  @Column(varcharColumn(255, { nullable: true }))
  previous_secret: string | null;

  @Column(dateColumn({ nullable: true }))
  previous_secret_expires_at: Date | null;

  @Column(varcharColumn(1000, { nullable: true }))
  disabled_reason: string | null;

  /** JSON object of custom request headers; NULL = none. */
  @Column({ type: 'simple-json', nullable: true })
  headers: Record<string, string> | null;

  /** JSON payload filter; NULL = none. */
  @Column({ type: 'simple-json', nullable: true })
  filter: WebhookFilter | null;

  /** Overrides of the module config; NULL = the module's value. */
  @Column({ type: 'integer', nullable: true })
  retry_max_attempts: number | null;

  @Column({ type: 'double precision', nullable: true })
  delivery_timeout_seconds: number | null;

  @Column({ type: 'integer', nullable: true })
  max_concurrent_per_endpoint: number | null;

  /** NULL = no limit; otherwise the subscription has a row in `webhook_rate_limits` (its bucket). */
  @Column({ type: 'integer', nullable: true })
  rate_limit_per_second: number | null;

  /** Ordered lanes (see `WebhookSubscription.ordered`). */
  @Column({ type: 'boolean', default: false })
  ordered: boolean;

  /** `'hmac-sha256'` (a `whsec_` secret) or `'ed25519'` (a `whsk_` signing key); see `WebhookSubscription.signature_type`. */
  @Column(varcharColumn(16, { default: 'hmac-sha256' }))
  signature_type: SignatureType;
}
