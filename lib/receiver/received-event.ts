import type { VerifiedWebhook } from './webhook-signature.verifier';

/**
 * A verified webhook as `@WebhookEvent()` gives it. For this package's deliveries the body is the event envelope
 * `{ event_id, event_type, occurred_at, source, payload }`; other senders' bodies come whole in `payload`.
 */
export interface ReceivedWebhookEvent<TPayload = unknown> {
  /**
   * Standard Webhooks: the message id header (`webhook-id`), which the signature covers. body-hmac, which signs
   * the body only: the body's `event_id`, else the (unsigned) id header; null when neither is sent.
   */
  event_id: string | null;
  /** The body's `event_type` (signed), else the event type header (which no scheme signs), else null. */
  event_type: string | null;
  /** The body's `occurred_at` as a Date, or null when absent or not a date. */
  occurred_at: Date | null;
  /** The body's `source`, or null. */
  source: string | null;
  /** The body's `payload` when the body is an event envelope (has `event_type` and `payload`), else the whole body. */
  payload: TPayload;
  /** When the sender signed it (the timestamp header); null with body-hmac. */
  signed_at: Date | null;
  /** The whole body, parsed. */
  body: unknown;
}

/**
 * Builds the event from a verified request. Returns null when the body is not JSON (the signature was right,
 * so the sender's body is simply not an event).
 */
export function toReceivedEvent<TPayload = unknown>(verified: VerifiedWebhook): ReceivedWebhookEvent<TPayload> | null {
  let body: unknown;
  try {
    body = JSON.parse(verified.raw_body.toString('utf8'));
  } catch {
    return null;
  }
  const envelope = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : null;
  const isEnvelope = envelope !== null && typeof envelope.event_type === 'string' && 'payload' in envelope;
  const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
  const occurred = typeof envelope?.occurred_at === 'string' ? new Date(envelope.occurred_at) : null;
  // Signed values win over unsigned headers, so that a captured request resent with other headers keeps its identity.
  const idSigned = verified.timestamp !== null;
  return {
    event_id: idSigned ? verified.event_id : (text(envelope?.event_id) ?? verified.event_id),
    event_type: text(envelope?.event_type) ?? verified.event_type,
    occurred_at: occurred && !Number.isNaN(occurred.getTime()) ? occurred : null,
    source: text(envelope?.source),
    payload: (isEnvelope ? envelope.payload : body) as TPayload,
    signed_at: verified.timestamp === null ? null : new Date(verified.timestamp * 1000),
    body,
  };
}
