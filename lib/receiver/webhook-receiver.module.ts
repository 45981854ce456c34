import { Module } from '@nestjs/common';
import { WEBHOOK_RECEIVER_CONFIG } from './webhook-receiver.constants';
import { ConfigurableWebhookReceiverModule, WEBHOOK_RECEIVER_MODULE_OPTIONS } from './webhook-receiver.module-definition';
import { resolveReceiverOptions, type WebhookReceiverConfig, type WebhookReceiverOptions } from './webhook-receiver.options';
import { WebhookSignatureVerifier } from './webhook-signature.verifier';

/**
 * The receiving side: `WebhookReceiverModule.forRoot({ secrets })` (or `forRootAsync`) in the module of the
 * controllers that receive webhooks, then `@WebhookReceiver()` on their routes and `@WebhookEvent()` on a
 * parameter. Options are checked at start-up. Independent of `WebhookModule`: a receiver needs no sender.
 */
@Module({
  providers: [
    {
      provide: WEBHOOK_RECEIVER_CONFIG,
      inject: [WEBHOOK_RECEIVER_MODULE_OPTIONS],
      useFactory: (options: WebhookReceiverOptions): WebhookReceiverConfig => resolveReceiverOptions(options),
    },
    {
      provide: WebhookSignatureVerifier,
      inject: [WEBHOOK_RECEIVER_CONFIG],
      useFactory: (config: WebhookReceiverConfig) => new WebhookSignatureVerifier(config),
    },
  ],
  exports: [WEBHOOK_RECEIVER_CONFIG, WebhookSignatureVerifier],
})
export class WebhookReceiverModule extends ConfigurableWebhookReceiverModule {}
