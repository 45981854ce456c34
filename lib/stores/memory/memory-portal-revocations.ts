import type { PortalRevocationStore } from '../../domain/portal-revocations';

/** Portal revocation cut-offs of the memory backend (one process: lost on restart, like its sessions' data). */
export class MemoryPortalRevocationStore implements PortalRevocationStore {
  private readonly cutoffs = new Map<string, number>();

  async cutoff(tenant_id: string): Promise<number | null> {
    return this.cutoffs.get(tenant_id) ?? null;
  }

  async revoke(tenant_id: string, at: number): Promise<number> {
    const stored = Math.max(this.cutoffs.get(tenant_id) ?? at, at);
    this.cutoffs.set(tenant_id, stored);
    return stored;
  }
}
