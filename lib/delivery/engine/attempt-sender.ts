import type { StoredEvent, WebhookSubscription } from '../../domain/types';
import type { WebhookSigner } from '../../signing/webhook-signer';
import type { SendResult, WebhookTransport } from '../http/transport';

/**
 * Sends one attempt: signs the stored body for the subscription and POSTs it, with the subscription's own
 * headers, through the configured transport.
 */
export class AttemptSender {
  constructor(
    private readonly signer: WebhookSigner,
    private readonly transport: WebhookTransport,
  ) {}

  /**
   * Never throws: a failure is described in the result. `timeoutMs` replaces the transport's timeout (the
   * module's `delivery_timeout_seconds`) for this send; `extraHeaders` (trace context) go with the signed ones.
   */
  send(
    subscription: WebhookSubscription,
    event: StoredEvent,
    at: Date,
    signal?: AbortSignal,
    timeoutMs?: number,
    extraHeaders?: Readonly<Record<string, string>> | null,
  ): Promise<SendResult> {
    const headers = this.signer.headers(subscription, event.event_id, event.event_type, event.body, at);
    if (extraHeaders) Object.assign(headers, extraHeaders);
    return this.transport.send(subscription.url, headers, event.body, signal, timeoutMs);
  }
}
