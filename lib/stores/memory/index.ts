export * from './memory-subscription.store';
export * from './memory-delivery.store';
