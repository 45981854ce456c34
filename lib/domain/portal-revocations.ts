/**
 * Where `WebhookPortalService.revokeSessions` keeps each tenant's cut-off: portal tokens issued at or before it no
 * longer work. One number per tenant, shared by every replica through the store, instead of a list of tokens.
 */
export interface PortalRevocationStore {
  /** The tenant's cut-off, ms since the epoch, or null when its sessions were never revoked. */
  cutoff(tenant_id: string): Promise<number | null>;
  /** Moves the tenant's cut-off to `at` (never back: a later cut-off already stored stays) and returns the stored one. */
  revoke(tenant_id: string, at: number): Promise<number>;
}
