import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { WebhookModuleOptions } from './config/webhook-config';

/**
 * Options that shape the module itself and so must be known before the async factory runs: `isGlobal`, and
 * whether (and where) the admin controller and the customer portal are registered. With `forRoot` they sit among the other options;
 * with `forRootAsync` they go beside `useFactory`.
 */
export interface WebhookModuleExtras {
  /** Register the module globally. Default false. */
  isGlobal?: boolean;
  /** Register the admin controller and dashboard. Default false. */
  enable_admin?: boolean;
  /** Route prefix of the admin API. Default `'webhooks'`. */
  admin_prefix?: string;
  /** Register the customer portal: its page and tenant API (needs `portal_secret`). Default false. */
  enable_portal?: boolean;
  /** Route prefix of the customer portal. Default `'webhooks/portal'`. */
  portal_prefix?: string;
}

export const WEBHOOK_EXTRAS = Symbol('WEBHOOK_EXTRAS');

export const {
  ConfigurableModuleClass: ConfigurableWebhookModule,
  MODULE_OPTIONS_TOKEN: WEBHOOK_MODULE_OPTIONS,
  OPTIONS_TYPE: WEBHOOK_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: WEBHOOK_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<WebhookModuleOptions>({ moduleName: 'Webhook' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createWebhookOptions')
  .setExtras<WebhookModuleExtras>({ isGlobal: false, enable_admin: false, admin_prefix: 'webhooks', enable_portal: false, portal_prefix: 'webhooks/portal' }, (definition, extras) => ({
    ...definition,
    global: extras.isGlobal,
    providers: [...(definition.providers ?? []), { provide: WEBHOOK_EXTRAS, useValue: extras }],
  }))
  .build();
