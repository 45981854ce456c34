import { MemoryDeliveryStore, MemorySubscriptionStore } from '../../lib/stores/memory';
import { runStoreContract, type StoreHarness } from './store-contract';

runStoreContract('memory', async () => {
  const harness: StoreHarness = {
    subscriptions: new MemorySubscriptionStore(),
    deliveries: new MemoryDeliveryStore(),
    async reset() {
      harness.subscriptions = new MemorySubscriptionStore();
      harness.deliveries = new MemoryDeliveryStore();
    },
    async close() {},
  };
  return harness;
});
