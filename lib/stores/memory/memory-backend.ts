import type { StoreBackend, StoreCapabilities } from '../../domain/store-backend';
import { MemoryDeliveryStore } from './memory-delivery.store';
import { MemoryPortalRevocationStore } from './memory-portal-revocations';
import { MemorySubscriptionStore } from './memory-subscription.store';

/**
 * The memory store writes at once (no commit to share), matches subscriptions from its own index, and has no
 * change signals (one process: every write goes through it).
 */
export const MEMORY_STORE_CAPABILITIES: StoreCapabilities = { groupCommit: false, localSubscriptionIndex: true };

/** The stores of `store_backend: 'memory'`: nothing kept at rest, nothing shared between processes. */
export function createMemoryStores(): StoreBackend {
  const subscriptions = new MemorySubscriptionStore();
  return { subscriptions, deliveries: new MemoryDeliveryStore(subscriptions.rateLimits), signals: null, capabilities: MEMORY_STORE_CAPABILITIES, portalRevocations: new MemoryPortalRevocationStore() };
}
