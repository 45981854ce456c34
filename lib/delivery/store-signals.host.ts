import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SubscriptionCache } from '../subscriptions/subscription-cache';
import { WEBHOOK_STORES, type WebhookStores } from '../webhook-stores';
import { DeliveryWorker } from './delivery.worker';

/**
 * Listens to the store's change signals while the app runs (TypeORM: post-commit hooks; PostgreSQL: one LISTEN
 * connection per process): committed deliveries wake the engine, subscription changes refresh the cache.
 * Started once the app has bootstrapped, stopped when it shuts down, after the engine.
 */
@Injectable()
export class StoreSignalsHost implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(WEBHOOK_STORES) private readonly stores: WebhookStores,
    @Inject(DeliveryWorker) private readonly worker: DeliveryWorker,
    @Inject(SubscriptionCache) private readonly cache: SubscriptionCache,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.stores.signals?.start({
      deliveriesDue: () => this.worker.engine.wake(),
      subscriptionsChanged: () => this.cache.refresh(),
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stores.signals?.stop();
  }
}
