import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ScheduleModule } from '@nestjs/schedule';
import { createWebhookAdminControllers, WEBHOOK_ADMIN_PROVIDERS } from './admin/admin.controllers';
import { resolveWebhookConfig, type WebhookConfig, type WebhookModuleOptions } from './config/webhook-config';
import { InvalidWebhookConfigError } from './domain/webhook.error';
import { DeliveryWorker } from './delivery/delivery.worker';
import { RetentionProcessor } from './delivery/retention.processor';
import { RetryProcessor } from './delivery/retry.processor';
import { SubscriptionCache } from './delivery/subscription-cache';
import { WebhookDeliveryService } from './delivery/webhook-delivery.service';
import { WebhookHttpClient } from './delivery/webhook-http.client';
import { MemoryDeliveryStore } from './stores/memory/memory-delivery.store';
import { MemorySubscriptionStore } from './stores/memory/memory-subscription.store';
import { WebhookDataSourceRef } from './stores/typeorm/data-source.ref';
import { TypeOrmDeliveryStore } from './stores/typeorm/typeorm-delivery.store';
import { TypeOrmSubscriptionStore } from './stores/typeorm/typeorm-subscription.store';
import { WebhookSubscriptionService } from './subscriptions/webhook-subscription.service';
import { WEBHOOK_CONFIG, WEBHOOK_DELIVERY_STORE, WEBHOOK_HTTP_SERVICE, WEBHOOK_SUBSCRIPTION_STORE } from './webhook.constants';
import {
  ConfigurableWebhookModule,
  WEBHOOK_ASYNC_OPTIONS_TYPE,
  WEBHOOK_EXTRAS,
  WEBHOOK_MODULE_OPTIONS,
  WEBHOOK_OPTIONS_TYPE,
  type WebhookModuleExtras,
} from './webhook.module-definition';

const STATIC_KEYS = ['enable_admin', 'admin_prefix'] as const;

const providers: Provider[] = [
  {
    provide: WEBHOOK_CONFIG,
    inject: [WEBHOOK_MODULE_OPTIONS, WEBHOOK_EXTRAS],
    useFactory: (options: WebhookModuleOptions, extras: WebhookModuleExtras): WebhookConfig => {
      for (const key of STATIC_KEYS) {
        if (options && key in options && options[key] !== undefined) {
          throw new InvalidWebhookConfigError(key, `shapes the module, so it cannot come from an async factory: pass it beside useFactory, as WebhookModule.forRootAsync({ ${key}: ..., useFactory })`);
        }
      }
      return resolveWebhookConfig({ ...options, enable_admin: extras.enable_admin, admin_prefix: extras.admin_prefix });
    },
  },
  {
    provide: WebhookDataSourceRef,
    inject: [WEBHOOK_CONFIG, ModuleRef],
    useFactory: (config: WebhookConfig, moduleRef: ModuleRef) => new WebhookDataSourceRef(moduleRef, config.typeorm_data_source),
  },
  {
    provide: WEBHOOK_SUBSCRIPTION_STORE,
    inject: [WEBHOOK_CONFIG, WebhookDataSourceRef],
    useFactory: (config: WebhookConfig, ref: WebhookDataSourceRef) => (config.store_backend === 'typeorm' ? new TypeOrmSubscriptionStore(ref) : new MemorySubscriptionStore()),
  },
  {
    provide: WEBHOOK_DELIVERY_STORE,
    inject: [WEBHOOK_CONFIG, WebhookDataSourceRef],
    useFactory: (config: WebhookConfig, ref: WebhookDataSourceRef) => (config.store_backend === 'typeorm' ? new TypeOrmDeliveryStore(ref) : new MemoryDeliveryStore()),
  },
  WebhookHttpClient,
  { provide: WEBHOOK_HTTP_SERVICE, inject: [WebhookHttpClient], useFactory: (client: WebhookHttpClient) => client.http },
  SubscriptionCache,
  DeliveryWorker,
  RetryProcessor,
  RetentionProcessor,
  WebhookDeliveryService,
  WebhookSubscriptionService,
];

const exported = [WEBHOOK_CONFIG, WEBHOOK_SUBSCRIPTION_STORE, WEBHOOK_DELIVERY_STORE, WEBHOOK_HTTP_SERVICE, WebhookDeliveryService, WebhookSubscriptionService];

/**
 * Outbound webhooks for a NestJS app: `WebhookModule.forRoot({...})` (or `forRootAsync`), then inject
 * `WebhookDeliveryService` and call `dispatch(event)`. Imports `ScheduleModule.forRoot()` itself for its
 * retry and retention processors.
 */
@Module({})
export class WebhookModule extends ConfigurableWebhookModule {
  static override forRoot(options: typeof WEBHOOK_OPTIONS_TYPE = {}): DynamicModule {
    return WebhookModule.complete(super.forRoot(options), options);
  }

  static override forRootAsync(options: typeof WEBHOOK_ASYNC_OPTIONS_TYPE): DynamicModule {
    return WebhookModule.complete(super.forRootAsync(options), options);
  }

  private static complete(definition: DynamicModule, extras: WebhookModuleExtras): DynamicModule {
    const admin = extras.enable_admin === true;
    return {
      ...definition,
      imports: [...(definition.imports ?? []), ScheduleModule.forRoot()],
      controllers: admin ? createWebhookAdminControllers(extras.admin_prefix ?? 'webhooks') : [],
      providers: [...(definition.providers ?? []), ...providers, ...(admin ? WEBHOOK_ADMIN_PROVIDERS : [])],
      exports: [...(definition.exports ?? []), ...exported],
    };
  }
}
