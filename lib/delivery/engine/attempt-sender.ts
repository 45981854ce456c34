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
    let headers: Record<string, string>;
    try {
      headers = this.signer.headers(subscription, event.event_id, event.event_type, event.body, at);
    } catch (err) {
      // Nothing can be sent unsigned: a failed attempt that says why (the signer's messages hold no key).
      return Promise.resolve({ ok: false, status_code: null, duration_ms: 0, error_message: `not sent: ${(err as Error).message}`, retry_after_ms: null, gone: false });
    }
    if (extraHeaders) Object.assign(headers, extraHeaders);
    return this.transport.send(subscription.url, headers, event.body, signal, timeoutMs);
  }
}
