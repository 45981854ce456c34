import { createHash } from 'node:crypto';
import { WebhookVerificationError } from '../domain/webhook.error';
import { matchingSignatures, verifyWebhook, type VerifyWebhookOptions } from '../signing/verify';
import { parseVerificationKey } from '../signing/webhook-keys';
import { InvalidWebhookReceiverOptionError } from './receiver-option.error';
import { checkReceiverKeys } from './receiver-keys';
import { headerValue, readSignedHeaders, type ReceivedHeaders } from './signed-headers';
import type { WebhookReceiverConfig } from './webhook-receiver.options';
import type { WebhookRefusal } from './webhook-refusal';

/** A request whose signature verified: what `@WebhookEvent()` builds the event from. */
export interface VerifiedWebhook {
  /** The body exactly as received. */
  raw_body: Buffer;
  /** The message id header (always set with Standard Webhooks). */
  event_id: string | null;
  /** The signed timestamp, unix seconds (null with body-hmac). */
  timestamp: number | null;
  /** The event type header, when sent. */
  event_type: string | null;
  /** The ids this request holds in the replay store (released by {@link WebhookSignatureVerifier.release}). */
  replay_ids: string[];
}

/** The verdict on one request. */
export type WebhookVerdict = { ok: true; value: VerifiedWebhook } | { ok: false; refusal: WebhookRefusal };

/**
 * Verifies received webhooks as a receiver is configured: headers, the keys (fixed or from `secret_resolver`),
 * the signature over the raw body (`matchingSignatures`, the check `verifyWebhook` makes; body-hmac through
 * `verifyWebhook` itself), then replay. No Nest in here: the guard is the glue.
 *
 * Replay protection remembers each accepted signature (with its message id and timestamp) until the timestamp
 * leaves the tolerance. A replayed request carries a signature seen before, and is refused. The sender's retries
 * pass: the `webhook-id` stays the same across retries (Standard Webhooks), but each retry is signed anew with a
 * new timestamp, and a request whose handler fails is forgotten again ({@link release}), so a retry within the same
 * second passes too. Two subscriptions receiving one event are signed with different keys, so neither refuses the
 * other. Deduplicate on `event_id` in your handler where processing an event twice matters.
 */
export class WebhookSignatureVerifier {
  constructor(
    readonly config: WebhookReceiverConfig,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The verdict on a request: its raw body, its headers and the platform request (for `secret_resolver`). */
  async verify(rawBody: Buffer, headers: ReceivedHeaders, request: unknown): Promise<WebhookVerdict> {
    const c = this.config;
    const now = this.now();
    const read = readSignedHeaders(headers, c, Math.floor(now.getTime() / 1000));
    if (!read.ok) return read;
    const { signatures, event_id, timestamp } = read.value;
    const keys = await this.keysFor(request);
    if (keys.length === 0) return { ok: false, refusal: { reason: 'unknown_sender', message: 'no key for this sender: the receiver does not know who signed this request' } };

    let replay_ids: string[] = [];
    // readSignedHeaders gives the id and the timestamp with Standard Webhooks (checked, within the tolerance), neither with body-hmac.
    if (c.scheme === 'standard-webhooks' && event_id !== null && timestamp !== null) {
      // The keys were checked when configured or resolved (checkReceiverKeys).
      const parsed = keys.map(parseVerificationKey).flatMap((k) => (k.ok ? [k.key] : []));
      const checked = matchingSignatures(parsed, event_id, timestamp, rawBody.toString('utf8'), signatures, c.signature_header);
      if (!checked.ok) return { ok: false, refusal: { reason: 'no_matching_signature', message: checked.problem } };
      const remembered = await this.remember(event_id, timestamp, checked.matched);
      if (remembered === null) {
        return { ok: false, refusal: { reason: 'replayed', message: `this message (${c.event_id_header} ${JSON.stringify(event_id.slice(0, 80))}, timestamp ${timestamp}) was received before: a replay` } };
      }
      replay_ids = remembered;
    } else {
      // body-hmac signs the body alone: no timestamp, and no replay protection.
      const options: VerifyWebhookOptions = { signature_scheme: 'body-hmac', signature_algorithm: c.signature_algorithm, signature_header: c.signature_header };
      const mismatch = verdictOf(() => verifyWebhook(rawBody, { [c.signature_header]: signatures.join(' ') }, keys, options));
      if (mismatch) return { ok: false, refusal: { reason: 'no_matching_signature', message: mismatch } };
    }
    return { ok: true, value: { raw_body: rawBody, event_id, timestamp, event_type: headerValue(headers, c.event_type_header) ?? null, replay_ids } };
  }

  /**
   * Remembers every signature that verified (so that a replay keeping only one of them is caught) until the
   * timestamp leaves the tolerance: their replay ids, or null when one was seen before (the first known one
   * decides, so two copies racing cannot refuse each other over their second signature).
   */
  private async remember(eventId: string, timestamp: number, signatures: readonly string[]): Promise<string[] | null> {
    const expires = new Date((timestamp + this.config.tolerance_seconds + 1) * 1000);
    const ids: string[] = [];
    for (const s of signatures) {
      const id = replayKey(eventId, timestamp, s);
      if (!(await this.config.replay_store.remember(id, expires))) {
        await this.release(ids);
        return null;
      }
      ids.push(id);
    }
    return ids;
  }

  /**
   * Forgets a request's replay ids (when the store can): its handler failed, so the sender will retry, and a retry
   * within the same second carries the same signature.
   */
  async release(replayIds: readonly string[]): Promise<void> {
    const store = this.config.replay_store;
    if (!store.forget) return;
    for (const id of replayIds) await store.forget(id);
  }

  private async keysFor(request: unknown): Promise<string[]> {
    const c = this.config;
    if (c.keys) return c.keys;
    const found = await c.secret_resolver!(request);
    if (found === null || found === undefined) return [];
    const checked = checkReceiverKeys(found, c.scheme);
    // The receiver's own mistake: thrown, so the request fails with a 500 and the log names it.
    if (!checked.ok) throw new InvalidWebhookReceiverOptionError('secret_resolver', `returned a key that cannot verify anything: ${checked.problem}`);
    return checked.keys;
  }
}

/** Null when `verify` passes, else the verification error's message. */
function verdictOf(verify: () => unknown): string | null {
  try {
    verify();
    return null;
  } catch (err) {
    if (err instanceof WebhookVerificationError) return err.message;
    throw err;
  }
}

/**
 * The replay-store id of one accepted signature: SHA-256 of the message id, the timestamp and the signature with
 * its base64 re-encoded canonically (an encoding that differs only in unused bits is the same signature).
 */
export function replayKey(eventId: string, timestamp: number, signature: string): string {
  const comma = signature.indexOf(',');
  const canonical = signature.slice(0, comma + 1) + Buffer.from(signature.slice(comma + 1), 'base64').toString('base64');
  return createHash('sha256').update(`${eventId}\n${timestamp}\n${canonical}`).digest('hex');
}
