import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { createWebhookAdminControllers, WEBHOOK_ADMIN_PROVIDERS } from './admin/admin.controllers';
import { EventCatalog } from './catalog/event-catalog';
import { EVENT_CATALOG_PROVIDER } from './catalog/event-catalog.provider';
import { resolveWebhookConfig, type WebhookConfig, type WebhookModuleOptions } from './config/webhook-config';
import { InvalidWebhookConfigError } from './domain/webhook.error';
import { DeliveryWorker } from './delivery/delivery.worker';
import { HostSchedulerRegistry } from './delivery/host-scheduler-registry';
import { RetentionProcessor } from './delivery/retention.processor';
import { RetryProcessor } from './delivery/retry.processor';
import { WebhookDeliveryService } from './delivery/webhook-delivery.service';
import { StoreSignalsHost } from './delivery/store-signals.host';
import { WebhookTestSender } from './delivery/test-sender';
import { WebhookHttpClient } from './delivery/webhook-http.host';
import { portalParts } from './portal/portal.module-parts';
import { OBSERVABILITY_EXPORTS, OBSERVABILITY_PROVIDERS } from './observability/observability.providers';
import { AutoDisable } from './subscriptions/auto-disable';
import { SubscriptionCache } from './subscriptions/subscription-cache';
import { WebhookSubscriptionService } from './subscriptions/webhook-subscription.service';
import { WEBHOOK_CONFIG, WEBHOOK_DELIVERY_STORE, WEBHOOK_HTTP_SERVICE, WEBHOOK_SUBSCRIPTION_STORE, WEBHOOK_TEST_SENDER } from './webhook.constants';
import {
  ConfigurableWebhookModule,
  WEBHOOK_ASYNC_OPTIONS_TYPE,
  WEBHOOK_EXTRAS,
  WEBHOOK_MODULE_OPTIONS,
  WEBHOOK_OPTIONS_TYPE,
  type WebhookModuleExtras,
} from './webhook.module-definition';
import { createWebhookStores, WEBHOOK_STORES, type WebhookStores } from './webhook-stores';

const STATIC_KEYS = ['enable_admin', 'admin_prefix', 'enable_portal', 'portal_prefix'] as const;

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
      return resolveWebhookConfig({ ...options, enable_admin: extras.enable_admin, admin_prefix: extras.admin_prefix, enable_portal: extras.enable_portal, portal_prefix: extras.portal_prefix });
    },
  },
  {
    provide: WEBHOOK_STORES,
    inject: [WEBHOOK_CONFIG, ModuleRef],
    useFactory: (config: WebhookConfig, moduleRef: ModuleRef) => createWebhookStores(config, moduleRef),
  },
  { provide: WEBHOOK_SUBSCRIPTION_STORE, inject: [WEBHOOK_STORES], useFactory: (stores: WebhookStores) => stores.subscriptions },
  { provide: WEBHOOK_DELIVERY_STORE, inject: [WEBHOOK_STORES], useFactory: (stores: WebhookStores) => stores.deliveries },
  WebhookHttpClient,
  { provide: WEBHOOK_HTTP_SERVICE, inject: [WebhookHttpClient], useFactory: (client: WebhookHttpClient) => client.http },
  EVENT_CATALOG_PROVIDER,
  SubscriptionCache,
  AutoDisable,
  DeliveryWorker,
  StoreSignalsHost,
  HostSchedulerRegistry,
  RetryProcessor,
  RetentionProcessor,
  WebhookDeliveryService,
  // The port through which WebhookSubscriptionService sends tests, implemented on the delivery side.
  WebhookTestSender,
  { provide: WEBHOOK_TEST_SENDER, useExisting: WebhookTestSender },
  WebhookSubscriptionService,
  ...OBSERVABILITY_PROVIDERS,
];

const exported = [WEBHOOK_CONFIG, WEBHOOK_SUBSCRIPTION_STORE, WEBHOOK_DELIVERY_STORE, WEBHOOK_HTTP_SERVICE, WebhookDeliveryService, WebhookSubscriptionService, EventCatalog, ...OBSERVABILITY_EXPORTS];

/**
 * Outbound webhooks for a NestJS app: `WebhookModule.forRoot({...})` (or `forRootAsync`), then inject
 * `WebhookDeliveryService` and call `dispatch(event)`. A guest in the host app: it adds no global guard, pipe,
 * filter, interceptor, middleware or process handler, and does not import `ScheduleModule` (a second root
 * `ScheduleModule` would run the host's own `@Cron` jobs twice). Its retry and retention jobs run on the
 * `cron` package and are listed in the host's `SchedulerRegistry` when the app imports the root `ScheduleModule`.
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
    const portal = portalParts(extras);
    return {
      ...definition,
      controllers: [...(admin ? createWebhookAdminControllers(extras.admin_prefix ?? 'webhooks') : []), ...portal.controllers],
      providers: [...(definition.providers ?? []), ...providers, ...(admin ? WEBHOOK_ADMIN_PROVIDERS : []), ...portal.providers],
      exports: [...(definition.exports ?? []), ...exported, ...portal.exports],
    };
  }
}
