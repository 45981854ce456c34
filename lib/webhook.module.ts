import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { createWebhookAdminControllers, WEBHOOK_ADMIN_PROVIDERS } from './admin/admin.controllers';
import { EventCatalog } from './catalog/event-catalog';
import { EVENT_CATALOG_PROVIDER } from './catalog/event-catalog.provider';
import { resolveWebhookConfig, type WebhookConfig, type WebhookModuleOptions } from './config/webhook-config';
import { InvalidWebhookConfigError } from './domain/webhook.error';
import { deliveryProviders } from './delivery/delivery.providers';
import { WebhookDeliveryService } from './delivery/webhook-delivery.service';
import { portalParts } from './portal/portal.module-parts';
import { OBSERVABILITY_EXPORTS, OBSERVABILITY_PROVIDERS } from './observability/observability.providers';
import { AutoDisable } from './subscriptions/auto-disable';
import { SubscriptionCache } from './subscriptions/subscription-cache';
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
import { storeProviders } from './webhook-stores';

const STATIC_KEYS = ['enable_admin', 'admin_prefix', 'enable_portal', 'portal_prefix'] as const;

/** The resolved config (`WEBHOOK_CONFIG`), checked once: keys that shape the module cannot come from a factory. */
function configProviders(): Provider[] {
  return [
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
  ];
}

/** Subscriptions: the event catalog, the cache of subscriptions, auto-disable and the service. */
function subscriptionProviders(): Provider[] {
  return [EVENT_CATALOG_PROVIDER, SubscriptionCache, AutoDisable, WebhookSubscriptionService];
}

/** Every provider of one module instance, group by group (admin ones only with `enable_admin`). */
function moduleProviders(extras: WebhookModuleExtras): Provider[] {
  const admin = extras.enable_admin === true;
  return [...configProviders(), ...storeProviders(), ...subscriptionProviders(), ...deliveryProviders(), ...OBSERVABILITY_PROVIDERS, ...(admin ? WEBHOOK_ADMIN_PROVIDERS : [])];
}

/** The controllers of one module instance: the admin API with `enable_admin`, none otherwise. */
function moduleControllers(extras: WebhookModuleExtras): NonNullable<DynamicModule['controllers']> {
  return extras.enable_admin === true ? createWebhookAdminControllers(extras.admin_prefix ?? 'webhooks') : [];
}

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
  /** The module with options given here (all optional: defaults fill in the rest). */
  static override forRoot(options: typeof WEBHOOK_OPTIONS_TYPE = {}): DynamicModule {
    return WebhookModule.complete(super.forRoot(options), options);
  }

  /** The module with options from a factory (`useFactory`, `useClass` or `useExisting`); `isGlobal`, `enable_admin` and `admin_prefix` go beside it. */
  static override forRootAsync(options: typeof WEBHOOK_ASYNC_OPTIONS_TYPE): DynamicModule {
    return WebhookModule.complete(super.forRootAsync(options), options);
  }

  private static complete(definition: DynamicModule, extras: WebhookModuleExtras): DynamicModule {
    const portal = portalParts(extras);
    return {
      ...definition,
      controllers: [...moduleControllers(extras), ...portal.controllers],
      providers: [...(definition.providers ?? []), ...moduleProviders(extras), ...portal.providers],
      exports: [...(definition.exports ?? []), ...exported, ...portal.exports],
    };
  }
}
