import type { PortalRevocationStore } from '../../domain/portal-revocations';
import type { WebhookDataSourceRef } from './data-source.ref';
import { isUniqueViolation } from './dialects/driver-errors';
import { WebhookPortalRevocationEntity } from './webhook-portal-revocation.entity';

/** Portal revocation cut-offs in `webhook_portal_revocations`, shared by every replica on the database. */
export class TypeOrmPortalRevocationStore implements PortalRevocationStore {
  constructor(private readonly ref: WebhookDataSourceRef) {}

  async cutoff(tenant_id: string): Promise<number | null> {
    const row = await this.repo().findOneBy({ tenant_id });
    return row ? Number(row.revoked_before) : null;
  }

  /**
   * Insert, or move forward only (`WHERE revoked_before < :at`), so two replicas revoking at once keep the later
   * cut-off; a lost insert race (the other replica inserted first) goes round again as an update.
   */
  async revoke(tenant_id: string, at: number): Promise<number> {
    for (let round = 0; round < 3; round++) {
      const stored = await this.cutoff(tenant_id);
      if (stored !== null && stored >= at) return stored;
      if (stored === null) {
        try {
          await this.repo().insert({ tenant_id, revoked_before: at });
          return at;
        } catch (err) {
          // Only a lost insert race goes round again; a lost connection or a missing table is the caller's error.
          if (!isUniqueViolation(err)) throw err;
          continue;
        }
      }
      await this.repo()
        .createQueryBuilder()
        .update()
        .set({ revoked_before: at })
        .where('tenant_id = :tenant_id AND revoked_before < :at', { tenant_id, at })
        .execute();
    }
    const stored = await this.cutoff(tenant_id);
    if (stored === null || stored < at) throw new Error(`could not store the portal revocation of tenant ${tenant_id}`);
    return stored;
  }

  private repo() {
    return this.ref.get().getRepository(WebhookPortalRevocationEntity);
  }
}
