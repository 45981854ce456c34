import { Test, type TestingModule } from '@nestjs/testing';
import {
  WEBHOOK_DELIVERY_STORE,
  WEBHOOK_SUBSCRIPTION_STORE,
  WebhookDeliveryService,
  WebhookModule,
  WebhookSubscriptionService,
  type WebhookDeliveryStore,
  type WebhookModuleOptions,
  type WebhookOutcome,
  type WebhookSubscriptionStore,
} from '../../lib';

/** Fast retries for tests: real timers, short delays, and local receivers allowed. */
export const FAST: WebhookModuleOptions = {
  allow_private_urls: true,
  retry_base_delay: 0.02,
  retry_max_delay: 0.1,
  retry_max_attempts: 3,
  delivery_timeout_seconds: 2,
  shutdown_timeout_seconds: 2,
};

export interface TestApp {
  module: TestingModule;
  delivery: WebhookDeliveryService;
  subscriptions: WebhookSubscriptionService;
  deliveries: WebhookDeliveryStore;
  subscriptionStore: WebhookSubscriptionStore;
  outcomes: WebhookOutcome[];
  close(): Promise<void>;
}

/** A module with `WebhookModule.forRoot({...FAST, ...options})`, initialised (processors running). */
export async function createTestApp(options: WebhookModuleOptions = {}): Promise<TestApp> {
  const module = await Test.createTestingModule({ imports: [WebhookModule.forRoot({ ...FAST, ...options })] }).compile();
  await module.init();
  const delivery = module.get(WebhookDeliveryService);
  const outcomes: WebhookOutcome[] = [];
  delivery.outcomes$.subscribe((o) => outcomes.push(o));
  return {
    module,
    delivery,
    subscriptions: module.get(WebhookSubscriptionService),
    deliveries: module.get(WEBHOOK_DELIVERY_STORE),
    subscriptionStore: module.get(WEBHOOK_SUBSCRIPTION_STORE),
    outcomes,
    close: () => module.close(),
  };
}
