import type { LoggerService } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
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
import { closeTestDataSource, createTestDataSource, type DatabaseKind } from './databases';

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

/** Options of {@link startOnStore}. */
export interface StoreAppOptions {
  /** The test file's own database namespace (TypeORM backends). */
  namespace: string;
  /** Where Nest logs go (default: Nest's logger). */
  logger?: LoggerService;
  /** Runs on the compiled module before `init()` (to wrap a store, say). */
  prepare?: (module: TestingModule) => void;
}

/**
 * `WebhookModule.forRoot({...FAST, ...options})` on the memory store or TypeORM on a fresh test database of
 * `kind`, initialised; `close()` closes the module, then the database.
 */
export async function startOnStore(kind: 'memory' | DatabaseKind, options: WebhookModuleOptions, app: StoreAppOptions): Promise<{ module: TestingModule; close(): Promise<void> }> {
  let ds: DataSource | undefined;
  if (kind !== 'memory') ds = await createTestDataSource(kind, { namespace: app.namespace });
  const builder = Test.createTestingModule({
    imports: [WebhookModule.forRoot({ ...FAST, ...options, store_backend: kind === 'memory' ? 'memory' : 'typeorm' })],
    providers: ds ? [{ provide: getDataSourceToken(), useValue: ds }] : [],
  });
  if (app.logger) builder.setLogger(app.logger);
  const module = await builder.compile().catch(async (err: unknown) => {
    await closeTestDataSource(ds);
    throw err;
  });
  app.prepare?.(module);
  await module.init();
  return {
    module,
    close: async () => {
      await module.close();
      await closeTestDataSource(ds);
    },
  };
}
