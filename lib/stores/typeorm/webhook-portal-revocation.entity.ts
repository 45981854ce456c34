import { Column, Entity, PrimaryColumn } from 'typeorm';
import { ID_LENGTH } from './columns';

/**
 * Row of `webhook_portal_revocations`: the cut-off of one tenant's portal sessions (tokens issued at or before it
 * are refused), written by `WebhookPortalService.revokeSessions` and read by every replica on each portal request.
 */
@Entity({ name: 'webhook_portal_revocations' })
export class WebhookPortalRevocationEntity {
  @PrimaryColumn({ type: 'varchar', length: ID_LENGTH, primaryKeyConstraintName: 'PK_webhook_portal_revocations' })
  tenant_id: string;

  /** ms since the epoch, as a number so that no time zone applies (drivers may return a string). */
  @Column({ type: 'bigint' })
  revoked_before: string | number;
}
