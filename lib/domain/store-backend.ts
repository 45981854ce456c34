import type { PortalRevocationStore } from './portal-revocations';
import type { StoreSignals, WebhookDeliveryStore, WebhookSubscriptionStore } from './stores';

/**
 * What a store backend can do, declared where the backend is created: the rest of the module reads these, never
 * which backend `store_backend` names.
 */
export interface StoreCapabilities {
  /**
   * Writes of concurrent callers can share one transaction (group commit: one disk sync for many). False for a
   * store that applies each write at once, with no commit to share, where waiting for company only adds latency.
   */
  readonly groupCommit: boolean;
  /**
   * The subscription store answers `match()` from an index in this process's memory: the subscription cache
   * matches through the store instead of keeping a snapshot of its own.
   */
  readonly localSubscriptionIndex: boolean;
}

/** The stores of one module instance, as a backend creates them, with what it can do. */
export interface StoreBackend {
  subscriptions: WebhookSubscriptionStore;
  deliveries: WebhookDeliveryStore;
  /** How it tells of committed deliveries and subscription changes; null when it cannot. */
  signals: StoreSignals | null;
  capabilities: StoreCapabilities;
  /** The customer portal's per-tenant session cut-offs (used only with `enable_portal`; nothing is read before). */
  portalRevocations: PortalRevocationStore;
}
