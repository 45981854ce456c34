/**
 * Why a receiver refused a request (the `reason` of the 401 body):
 * - `missing_header`: the signature, id or timestamp header is absent;
 * - `malformed_header`: one is there but not in the scheme's form (a body-hmac signature sent to a Standard
 *   Webhooks receiver lands here, with a hint);
 * - `timestamp_too_old` / `timestamp_in_future`: outside `tolerance_seconds`;
 * - `no_matching_signature`: no signature verifies with the receiver's keys (wrong key, or a changed body);
 * - `replayed`: this exact signed message was accepted before;
 * - `unknown_sender`: `secret_resolver` found no key for this request.
 */
export type WebhookRefusalReason =
  | 'missing_header'
  | 'malformed_header'
  | 'timestamp_too_old'
  | 'timestamp_in_future'
  | 'no_matching_signature'
  | 'replayed'
  | 'unknown_sender';

/** A refusal: its reason and a sentence for the sender. */
export interface WebhookRefusal {
  /** Why, as a stable code. */
  reason: WebhookRefusalReason;
  /** Why, as a sentence for the sender. */
  message: string;
}
