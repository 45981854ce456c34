import type { WebhookSubscription } from '../../domain/types';

/** Most extra time, beyond the request timeout, a held delivery's lease must have left to start its send. */
export const LEASE_SAFETY_MS = 1000;

/**
 * How long each send may take, and how much of its lease a held delivery needs left to start: a lease must
 * outlive its request, or another replica could claim the delivery while it is still being sent. The module's
 * `delivery_timeout_seconds` applies unless the subscription has its own, which is validated below
 * `lease_seconds` and its ceiling (`delivery_timeout_seconds_ceiling`) when set; should the module config change
 * later so that it no longer is, it is cut to the ceiling and to half the lease. A send to such a subscription is
 * also cut to what its lease has left (it may have waited for a slot), so a lease always outlives its request.
 * Pure: no I/O, no timers.
 */
export class SendTimeouts {
  private readonly defaultNeedMs: number;

  constructor(
    /** `delivery_timeout_seconds`, ms. */
    private readonly defaultMs: number,
    /** `lease_seconds`, ms. */
    private readonly leaseMs: number,
    /** `delivery_timeout_seconds_ceiling`, ms: a subscription's own timeout stored above it is cut to it. */
    private readonly ownCeilingMs = Infinity,
  ) {
    this.defaultNeedMs = defaultMs + this.margin(defaultMs);
  }

  /** Lease time a held delivery of `subscription` (null: not read yet, the module's timeout) needs left to start. */
  needed(subscription: WebhookSubscription | null): number {
    const own = subscription?.delivery_timeout_seconds;
    if (own == null) return this.defaultNeedMs;
    const t = this.own(own);
    return t + this.margin(t);
  }

  /**
   * The transport timeout of a send to `subscription` leased until `lockedUntil` (ms): undefined for the module's
   * (the transport's default), else the subscription's, cut to what the lease allows.
   */
  forSend(subscription: WebhookSubscription, lockedUntil: number, now: number): number | undefined {
    const own = subscription.delivery_timeout_seconds;
    if (own == null) return undefined;
    const t = this.own(own);
    return Math.max(1, Math.min(t, lockedUntil - now - this.margin(t)));
  }

  private own(seconds: number): number {
    const ms = Math.min(Math.round(seconds * 1000), this.ownCeilingMs);
    return ms < this.leaseMs ? ms : Math.floor(this.leaseMs / 2);
  }

  private margin(timeoutMs: number): number {
    return Math.min(LEASE_SAFETY_MS, (this.leaseMs - timeoutMs) / 2);
  }
}
