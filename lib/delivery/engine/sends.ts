import type { ClaimedDelivery, WebhookSubscription } from '../../domain/types';
import { SecretDecryptionError } from '../../domain/webhook.error';
import type { AttemptRunner } from './attempt-runner';
import type { Capacity } from './capacity';
import type { Clock } from './clock';
import type { Held } from './held';
import type { LeaseReleases } from './lease-releases';
import type { EngineLogger, SubscriptionLookup } from './ports';
import type { SendTimeouts } from './send-timeouts';

/** What {@link Sends} works with. */
export interface SendsParts {
  capacity: Capacity<Held>;
  attempts: AttemptRunner;
  timeouts: SendTimeouts;
  releases: LeaseReleases;
  subscriptions: SubscriptionLookup;
  clock: Clock;
  logger: EngineLogger;
  /** Whether the engine still starts sends (not shutting down). */
  accepting(): boolean;
  /** A send's slot is free again (while accepting): a claim may take what waited for it. */
  slotFreed(held: Held): void;
  /** A laned delivery's state is written: the next of its lane may have its turn. */
  laneTurnEnded(subscriptionId: string): void;
}

/**
 * Starts held deliveries within the slots {@link Capacity} counts, and tracks the sends in flight: deliveries come
 * from claims ({@link holdClaimed}) and hand-offs ({@link holdHandedOver}); each send is run by the
 * {@link AttemptRunner}; whatever cannot start (excess over a subscription's hold limit, a lease that would end
 * before its send could) goes back to the store.
 */
export class Sends {
  /**
   * Sends in flight: a count, not a collection of them. A long-lived Map or Set that every send enters and leaves
   * keeps rebuilding its table, and once a table is in the old generation each rebuilt one stays reachable from it
   * until the next full collection, with whatever it held: every send's state outlived young-generation
   * collections (see `followSignal` in undici-exchange.ts).
   */
  private count = 0;
  /** Called once no send is in flight ({@link settled}). */
  private drained: Array<() => void> = [];

  constructor(private readonly parts: SendsParts) {}

  /** Sends running now. */
  get running(): number {
    return this.count;
  }

  /** Holds claimed deliveries for a send slot; a subscription's excess over its hold limit goes back to the store. */
  async holdClaimed(claimed: ClaimedDelivery[]): Promise<void> {
    const { capacity } = this.parts;
    const subscriptions = new Map<string, WebhookSubscription | null>();
    const ids = [...new Set(claimed.map((c) => c.delivery.subscription_id))];
    const unreadable = new Set<string>();
    await Promise.all(
      ids.map(async (id) => {
        const sub = await this.lookUp(id, unreadable);
        if (!unreadable.has(id)) subscriptions.set(id, sub);
      }),
    );
    for (const [id, sub] of subscriptions) capacity.setCap(id, sub?.max_concurrent_per_endpoint);
    const excess: ClaimedDelivery[] = [];
    for (const c of claimed) {
      const id = c.delivery.subscription_id;
      if (unreadable.has(id)) continue;
      if (!capacity.hold(id, { claimed: c, subscription: subscriptions.get(id) ?? null, recheck: false })) excess.push(c);
    }
    this.giveBack(excess);
    this.startHeld();
    for (const held of capacity.heldItems()) held.recheck = true;
  }

  /**
   * A subscription to send to. One whose secret cannot be decrypted (`secret_encryption_keys`) is added to
   * `unreadable` and logged: its deliveries are not sent (never with a wrong signature), nor released at once
   * (that would claim them again in a loop): their leases expire and they are retried, so they go out once the
   * keys are fixed. Any other failure fails the claim as before.
   */
  private async lookUp(id: string, unreadable: Set<string>): Promise<WebhookSubscription | null> {
    try {
      return await this.parts.subscriptions.get(id);
    } catch (err) {
      if (!(err instanceof SecretDecryptionError)) throw err;
      unreadable.add(id);
      this.parts.logger.error(`deliveries to subscription ${id} not sent (their leases will expire and they will be retried): ${err.message}`);
      return null;
    }
  }

  /** Deliveries handed over by `dispatch()` and stored leased here. */
  holdHandedOver(held: Held[]): void {
    if (!this.parts.accepting()) return this.giveBack(held.map((h) => h.claimed));
    this.giveBack(held.filter((h) => !this.parts.capacity.hold(h.claimed.delivery.subscription_id, h)).map((h) => h.claimed));
    this.startHeld();
  }

  /** Starts held deliveries while there are slots; releases those whose lease would end before their send could. */
  startHeld(): void {
    const expiring: ClaimedDelivery[] = [];
    const now = this.parts.clock.now();
    for (const held of this.parts.capacity.startable()) {
      const { delivery } = held.claimed;
      if (this.parts.accepting() && (delivery.locked_until?.getTime() ?? 0) >= now + this.parts.timeouts.needed(held.subscription)) this.start(held);
      else {
        this.parts.capacity.finish(delivery.subscription_id);
        expiring.push(held.claimed);
      }
    }
    this.giveBack(expiring);
  }

  /** Releases the leases of deliveries held here that will not be sent now: they are due in the store again. */
  private giveBack(deliveries: readonly ClaimedDelivery[]): void {
    if (deliveries.length === 0) return;
    this.parts.releases.release(
      deliveries.map((c) => c.delivery.delivery_id),
      deliveries.map((c) => c.delivery.subscription_id),
    );
  }

  /**
   * Resolves when no send is in flight (true), or after `ms` if given (false when some still run). For shutdown,
   * when no new send starts.
   */
  async settled(ms?: number): Promise<boolean> {
    if (this.count === 0) return true;
    const ended = new Promise<void>((resolve) => this.drained.push(resolve));
    if (ms === undefined) await ended;
    else {
      let timer: { cancel(): void } | undefined;
      await Promise.race([ended, new Promise<void>((resolve) => (timer = this.parts.clock.setTimer(resolve, ms)))]);
      timer?.cancel();
    }
    return this.count === 0;
  }

  private start(held: Held): void {
    this.count++;
    void this.send(held);
  }

  /** One send from start to end (one async frame: no promise chain per send). Never rejects. */
  private async send(held: Held): Promise<void> {
    const subscriptionId = held.claimed.delivery.subscription_id;
    const startedAt = this.parts.clock.now();
    let freed = false;
    // The slot is freed once the endpoint answered 2xx (the attempt is then recorded in the background, so
    // database latency does not throttle an endpoint), or after everything for a failure (which may disable the
    // subscription before its next delivery starts).
    const free = () => {
      if (freed) return;
      freed = true;
      this.parts.capacity.finish(subscriptionId, this.parts.clock.now() - startedAt);
      if (!this.parts.accepting()) return;
      this.startHeld();
      this.parts.slotFreed(held);
    };
    try {
      await this.parts.attempts.run(held, free);
    } catch (err) {
      this.parts.logger.error(`delivery ${held.claimed.delivery.delivery_id} failed to complete (its lease will expire and it will be retried): ${(err as Error).message}`);
    } finally {
      if (--this.count === 0 && this.drained.length > 0) {
        const drained = this.drained;
        this.drained = [];
        for (const resolve of drained) resolve();
      }
      free();
      if (held.claimed.delivery.lane != null) this.parts.laneTurnEnded(subscriptionId);
    }
  }
}
