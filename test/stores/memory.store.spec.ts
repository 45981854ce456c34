import { MemoryDeliveryStore, MemorySubscriptionStore } from '../../lib/stores/memory';
import { runStoreContract, type StoreHarness } from './store-contract';

/** The two memory stores as the module makes them: the delivery store follows the subscriptions' rate limits. */
function stores(): Pick<StoreHarness, 'subscriptions' | 'deliveries'> {
  const subscriptions = new MemorySubscriptionStore();
  return { subscriptions, deliveries: new MemoryDeliveryStore(subscriptions.rateLimits) };
}

runStoreContract('memory', async () => {
  const harness: StoreHarness = {
    ...stores(),
    async reset() {
      Object.assign(harness, stores());
    },
    async close() {},
  };
  return harness;
});
