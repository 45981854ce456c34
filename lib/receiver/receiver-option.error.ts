import { WebhookError } from '../domain/webhook.error';

/** An option of `WebhookReceiverModule` is missing or wrong; thrown at start-up, naming the option. */
export class InvalidWebhookReceiverOptionError extends WebhookError {
  constructor(
    /** The option at fault. */
    readonly key: string,
    message: string,
  ) {
    super(`invalid WebhookReceiverModule option "${key}": ${message}`, 'INVALID_CONFIG');
  }
}
