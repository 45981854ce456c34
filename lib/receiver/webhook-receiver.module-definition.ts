import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { WebhookReceiverOptions } from './webhook-receiver.options';

/** Options that shape the module itself, beside the others in `forRoot` and beside `useFactory` in `forRootAsync`. */
export interface WebhookReceiverModuleExtras {
  /** Register the module globally, so every module's controllers can use the guard. Default false. */
  isGlobal?: boolean;
}

export const {
  ConfigurableModuleClass: ConfigurableWebhookReceiverModule,
  MODULE_OPTIONS_TOKEN: WEBHOOK_RECEIVER_MODULE_OPTIONS,
  OPTIONS_TYPE: WEBHOOK_RECEIVER_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: WEBHOOK_RECEIVER_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<WebhookReceiverOptions>({ moduleName: 'WebhookReceiver' })
  .setClassMethodName('forRoot')
  .setFactoryMethodName('createWebhookReceiverOptions')
  .setExtras<WebhookReceiverModuleExtras>({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
