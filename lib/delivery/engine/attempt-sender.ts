import type { StoredEvent, WebhookSubscription } from '../../domain/types';
import type { WebhookSigner } from '../../signing/webhook-signer';
import type { SendResult, WebhookTransport } from '../http/transport';

/** Sends one attempt: signs the stored body for the subscription and POSTs it through the configured transport. */
export class AttemptSender {
  constructor(
    private readonly signer: WebhookSigner,
    private readonly transport: WebhookTransport,
  ) {}

  /** Never throws: a failure is described in the result. */
  send(subscription: WebhookSubscription, event: StoredEvent, at: Date, signal: AbortSignal): Promise<SendResult> {
    const headers = this.signer.headers(subscription, event.event_id, event.event_type, event.body, at);
    return this.transport.send(subscription.url, headers, event.body, signal);
  }
}
