import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { hostname } from 'node:os';
import { newId } from '../domain/ids';
import { Subject } from 'rxjs';
import type { WebhookConfig } from '../config/webhook-config';
import type { WebhookOutcome } from '../domain/outcome';
import type { AttemptCompletion, NewDelivery, WebhookDeliveryStore, WebhookSubscriptionStore } from '../domain/stores';
import type { ClaimedDelivery, DeliveryAttempt, DeliveryStatus, DeliveryTransition, StoredEvent, WebhookSubscription } from '../domain/types';
import { WebhookSigner } from '../signing/webhook-signer';
import { InjectWebhookConfig, InjectWebhookDeliveryStore, InjectWebhookSubscriptionStore } from '../webhook.constants';
import { isLastAttempt, retryDelayMs } from './retry-policy';
import { SubscriptionCache } from './subscription-cache';
import { WriteBatcher } from './write-batcher';
import { WebhookHttpClient, type SendResult } from './webhook-http.client';

/** Most extra time a claimed delivery's lease must have left, beyond the timeout, to start its send. */
const LEASE_SAFETY_MS = 1000;

interface Held {
  claimed: ClaimedDelivery;
  /** As read when it was claimed. */
  subscription: WebhookSubscription | null;
  /** Set aside for a free slot instead of starting at once: its subscription is read again before sending. */
  waited?: boolean;
}

/**
 * Sends deliveries, keeping at most `max_concurrent_deliveries` sends in flight and `max_concurrent_per_endpoint`
 * per subscription. Work comes two ways: fresh deliveries of this process's `dispatch()` are stored already
 * leased to this worker when it has room for them ({@link reserve}/{@link adopt}: no claim round trip), and
 * everything else (retries, overflow, other replicas' work, expired leases) is claimed from the store. A
 * subscription busy beyond its cap is left out of claims and gets no hand-offs past twice its cap, so a slow
 * endpoint never holds the others' slots. Everything it holds is leased in the store: a crash loses nothing,
 * the lease expires and any replica picks the delivery up again.
 */
@Injectable()
export class DeliveryWorker implements BeforeApplicationShutdown {
  /** Identifies this process's leases. */
  readonly workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Every outcome, after it is stored. */
  readonly outcomes = new Subject<WebhookOutcome>();

  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly signer: WebhookSigner;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly leaseMarginMs: number;
  /** Fewest free slots worth a claim while other work is in flight. */
  private readonly minClaim: number;
  /** Aborts the sends in flight when shutdown runs out of patience. */
  private readonly aborter = new AbortController();
  private readonly completions: WriteBatcher<AttemptCompletion, boolean>;
  private running = 0;
  private readonly runningBySubscription = new Map<string, number>();
  private readonly waiting = new Map<string, Held[]>();
  private waitingCount = 0;
  /** Deliveries leased to this worker by dispatch() whose enqueue has not committed yet. */
  private reservedCount = 0;
  private readonly reservedBySubscription = new Map<string, number>();
  /**
   * Subscriptions that may have due deliveries waiting in the store, with the number of the last claim started
   * when that became known: dispatch() could not hand one over, or a claim gave it its full share (or skipped
   * it after a wake). Cleared when a claim started later comes back short without skipping or limiting it.
   * While set, hand-offs for it stop once its cap is busy, so claims (made while at most its cap is busy) keep
   * draining the backlog however fast new deliveries arrive.
   */
  private readonly backlogged = new Map<string, number>();
  private claims = 0;
  private readonly inFlight = new Set<Promise<void>>();
  /** Lease releases not yet acknowledged by the store; shutdown waits for them. */
  private readonly releasing = new Set<Promise<unknown>>();
  private pumping: Promise<void> | null = null;
  private pumpAgain = false;
  private wakeScheduled = false;
  /** Set by wake() (start-up, ticks, redeliver, redrive) and retry timers: due work the last claim did not see. */
  private newWork = true;
  /** The subscriptions skipped by the last claim, when it came back short (the store had no more for the rest). */
  private exhaustedWith: string[] | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  /** No more claims or sends (set by {@link stopClaiming}, first thing at shutdown). */
  private stopped = false;
  private shutDown = false;

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @InjectWebhookDeliveryStore() private readonly deliveries: WebhookDeliveryStore,
    @InjectWebhookSubscriptionStore() private readonly subscriptions: WebhookSubscriptionStore,
    @Inject(WebhookHttpClient) private readonly http: WebhookHttpClient,
    @Inject(SubscriptionCache) private readonly cache: SubscriptionCache,
  ) {
    // Attempts finishing together are logged, and their deliveries moved on, in one transaction; one such write
    // at a time, so the rest gather into the next (sends do not wait for it: their slot is freed on a 2xx).
    this.completions = new WriteBatcher((items) => this.deliveries.completeAttempts(items), config.max_concurrent_deliveries, 1, config.store_backend === 'memory');
    this.signer = new WebhookSigner(config);
    this.timeoutMs = config.delivery_timeout_seconds * 1000;
    this.leaseMs = config.lease_seconds * 1000;
    this.leaseMarginMs = Math.min(LEASE_SAFETY_MS, (this.leaseMs - this.timeoutMs) / 2);
    this.minClaim = Math.max(1, Math.min(config.claim_batch_size, Math.floor(config.max_concurrent_deliveries / 4)));
    // Every send in flight listens on this one signal (up to max_concurrent_deliveries at once, each removed when
    // its send ends): not a leak, so no MaxListenersExceededWarning past 10.
    setMaxListeners(0, this.aborter.signal);
  }

  /** Sends currently in flight in this process. */
  get activeSends(): number {
    return this.running;
  }

  /**
   * Stops claiming and starting sends; sends in flight go on. Called by the retry processor when the module is
   * destroyed, before it waits for its running tick: a pump that kept claiming while work flows would otherwise
   * hold shutdown until the backlog ran dry. Idempotent.
   */
  stopClaiming(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  /** Looks for due work soon (coalesced: many wakes in one tick cause one claim). */
  wake(): void {
    this.newWork = true;
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.stopped || this.wakeScheduled) return;
    this.wakeScheduled = true;
    setImmediate(() => {
      this.wakeScheduled = false;
      void this.runPump();
    });
  }

  /** Looks for due work at `at` (keeps only the earliest such timer; the retry processor is the safety net). */
  wakeAt(at: Date): void {
    const t = at.getTime();
    if (this.stopped || t >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = t;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        this.timerAt = Infinity;
        void this.pump();
      },
      Math.max(t - Date.now(), 0),
    );
  }

  /** Claims and starts as much due work as there is room for. Never runs twice at once; never throws. */
  pump(): Promise<void> {
    this.newWork = true;
    return this.runPump();
  }

  private runPump(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    if (this.pumping) {
      this.pumpAgain = true;
      return this.pumping;
    }
    this.pumping = this.pumpLoop().finally(() => {
      this.pumping = null;
    });
    return this.pumping;
  }

  private async pumpLoop(): Promise<void> {
    try {
      do {
        this.pumpAgain = false;
        while (!this.stopped) {
          this.startWaiting();
          const room = this.freeRoom();
          // Claim in batches: a claim per freed slot would cost a SQL transaction per delivery.
          if (room <= 0 || (room < this.minClaim && this.running + this.waitingCount > 0)) break;
          const limit = Math.min(this.config.claim_batch_size, room);
          const excluded = this.saturatedSubscriptions();
          // Nothing new arrived since a claim came back short, and every subscription it had to skip, or that
          // may have a backlog, is still at its cap: this claim would come back empty too (with one busy
          // endpoint, most would).
          if (!this.newWork && this.exhaustedWith?.every((id) => excluded.includes(id)) && [...this.backlogged.keys()].every((id) => excluded.includes(id))) break;
          const woken = this.newWork;
          this.newWork = false;
          const perSubscription = this.config.max_concurrent_per_endpoint;
          const claim = ++this.claims;
          const claimed = await this.deliveries.claimDue({
            worker_id: this.workerId,
            limit,
            lease_ms: this.leaseMs,
            now: new Date(),
            exclude_subscription_ids: excluded,
            per_subscription_limit: perSubscription,
          });
          const limited = limitedSubscriptions(claimed, perSubscription);
          // May still have due work in the store: those that got their full share, and, after a wake (the store
          // may hold anything), those skipped. Their hand-offs now leave room for claims.
          for (const id of limited) this.backlogged.set(id, claim);
          if (woken) for (const id of excluded) this.backlogged.set(id, claim);
          // Short: nothing more was due except for the skipped subscriptions and those that hit their limit.
          this.exhaustedWith = claimed.length < limit ? [...excluded, ...limited] : null;
          if (this.exhaustedWith) this.clearBacklogs(claim, this.exhaustedWith);
          if (claimed.length === 0) break;
          await this.hold(claimed);
          if (claimed.length < limit) break;
        }
      } while (this.pumpAgain && !this.stopped);
    } catch (err) {
      this.logger.error(`claiming deliveries failed (will retry on the next tick): ${(err as Error).message}`);
    }
  }

  /** Slots neither sending, nor held, nor reserved by dispatch(). */
  private freeRoom(): number {
    return this.config.max_concurrent_deliveries - this.running - this.waitingCount - this.reservedCount;
  }

  /** Deliveries of one subscription sending or set aside here. */
  private busyWith(subscriptionId: string): number {
    return (this.runningBySubscription.get(subscriptionId) ?? 0) + (this.waiting.get(subscriptionId)?.length ?? 0);
  }

  /** After claim number `claim` came back short: backlogs noted before it started, and it did not skip, are gone. */
  private clearBacklogs(claim: number, skipped: readonly string[]): void {
    for (const [id, before] of this.backlogged) if (before < claim && !skipped.includes(id)) this.backlogged.delete(id);
  }

  /**
   * Called by dispatch() before it stores new deliveries: leases to this worker (sets `lease` on) those it has
   * room for, within the bounds a claim keeps, so they start the moment their enqueue commits. While work was
   * signalled that no claim has looked for yet, a claim's worth of room is left for it; for a subscription with
   * a backlog in the store, only while fewer than its cap are busy (at its cap, freed slots go to claims, which
   * drain the backlog however fast new deliveries come). Every call must be followed by {@link adopt}.
   */
  reserve(targets: NewDelivery[]): void {
    if (this.stopped) return;
    let room = this.freeRoom() - (this.newWork ? this.minClaim : 0);
    const cap = this.config.max_concurrent_per_endpoint;
    let lease: NewDelivery['lease'];
    for (const target of targets) {
      if (room <= 0) return;
      const id = target.subscription_id;
      // Busy and still-committing hand-offs are bounded separately (each to twice the cap), so commit latency
      // does not eat into the room of a fast endpoint, while a slow one (busy at twice its cap) takes no more.
      const busy = this.busyWith(id);
      if (busy >= 2 * cap || (this.reservedBySubscription.get(id) ?? 0) >= 2 * cap || (this.backlogged.has(id) && busy >= cap)) continue;
      target.lease = lease ??= { worker_id: this.workerId, until: new Date(Date.now() + this.leaseMs) };
      this.reservedBySubscription.set(id, (this.reservedBySubscription.get(id) ?? 0) + 1);
      this.reservedCount++;
      room--;
    }
  }

  /**
   * After dispatch()'s enqueue (stored: whether its event was new): starts the deliveries leased here, and
   * looks in the store for the others (a backlog for their subscriptions).
   */
  adopt(event: StoredEvent, targets: readonly NewDelivery[], stored: boolean): void {
    const mine: Held[] = [];
    const others: string[] = [];
    for (const target of targets) {
      const id = target.subscription_id;
      if (!target.lease) {
        others.push(id);
        continue;
      }
      this.reservedCount--;
      const n = this.reservedBySubscription.get(id)! - 1;
      if (n === 0) this.reservedBySubscription.delete(id);
      else this.reservedBySubscription.set(id, n);
      if (stored) mine.push({ claimed: { delivery: leasedDelivery(event, target), event }, subscription: null, waited: true });
    }
    if (!stored) return;
    if (others.length > 0) {
      // No claim has seen these yet: the pump claims them as soon as their subscription has room.
      for (const id of others) this.backlogged.set(id, this.claims);
      this.schedulePump();
    }
    if (mine.length === 0) return;
    // Shutting down: whoever runs next takes them (released, so at once rather than when the lease ends).
    if (this.stopped) return this.release(mine.map((h) => h.claimed.delivery.delivery_id));
    for (const held of mine) {
      const id = held.claimed.delivery.subscription_id;
      let queue = this.waiting.get(id);
      if (!queue) this.waiting.set(id, (queue = []));
      queue.push(held);
      this.waitingCount++;
    }
    this.startWaiting();
  }

  /**
   * More than its cap busy (sending or set aside): left out of claims. A claim takes at most one cap of a
   * subscription, so the next claim is made while the previous cap's worth is still sending (it overlaps the
   * sends instead of following them), and what it holds stays near twice its cap (hand-offs still committing
   * are not counted here, so a claim never waits for them).
   */
  private saturated(subscriptionId: string): boolean {
    return this.busyWith(subscriptionId) > this.config.max_concurrent_per_endpoint;
  }

  /** Subscriptions left out of the next claim (see {@link saturated}). */
  private saturatedSubscriptions(): string[] {
    const out = new Set<string>();
    for (const map of [this.runningBySubscription, this.waiting]) {
      for (const id of map.keys()) if (this.saturated(id)) out.add(id);
    }
    return [...out];
  }

  private async hold(claimed: ClaimedDelivery[]): Promise<void> {
    const ids = [...new Set(claimed.map((c) => c.delivery.subscription_id))];
    const subs = new Map<string, WebhookSubscription | null>();
    await Promise.all(ids.map(async (id) => subs.set(id, await this.cache.get(id))));
    const most = 2 * this.config.max_concurrent_per_endpoint;
    const excess: string[] = [];
    for (const c of claimed) {
      const id = c.delivery.subscription_id;
      let queue = this.waiting.get(id);
      if (!queue) this.waiting.set(id, (queue = []));
      // A subscription never has more than twice its cap busy here (sends plus set-aside): the rest goes back.
      if (this.busyWith(id) >= most) {
        excess.push(c.delivery.delivery_id);
        continue;
      }
      queue.push({ claimed: c, subscription: subs.get(id) ?? null });
      this.waitingCount++;
    }
    for (const [id, queue] of this.waiting) if (queue.length === 0) this.waiting.delete(id);
    if (excess.length) this.release(excess);
    this.startWaiting();
    // What could not start now may wait up to a timeout, during which the subscription may be disabled (410),
    // deactivated or changed: such deliveries re-read it before they are sent.
    for (const queue of this.waiting.values()) for (const held of queue) held.waited = true;
  }

  /** Starts held deliveries while there is room, releasing any whose lease would end before its send could. */
  private startWaiting(): void {
    const cap = this.config.max_concurrent_per_endpoint;
    const expiring: string[] = [];
    for (const [id, queue] of this.waiting) {
      while (queue.length > 0 && this.running < this.config.max_concurrent_deliveries && (this.runningBySubscription.get(id) ?? 0) < cap) {
        const held = queue.shift()!;
        this.waitingCount--;
        const lease = held.claimed.delivery.locked_until?.getTime() ?? 0;
        if (this.stopped || lease < Date.now() + this.timeoutMs + this.leaseMarginMs) {
          expiring.push(held.claimed.delivery.delivery_id);
          continue;
        }
        this.start(held);
      }
      if (queue.length === 0) this.waiting.delete(id);
    }
    if (expiring.length) this.release(expiring);
  }

  private start(held: Held): void {
    const subscriptionId = held.claimed.delivery.subscription_id;
    this.running++;
    this.runningBySubscription.set(subscriptionId, (this.runningBySubscription.get(subscriptionId) ?? 0) + 1);
    let freed = false;
    // The send's slot: freed once the endpoint has answered well (the attempt is then written in the background,
    // so database latency does not throttle an endpoint), or after everything for a failure (which may disable
    // the subscription before its next delivery starts).
    const free = () => {
      if (freed) return;
      freed = true;
      this.running--;
      const n = this.runningBySubscription.get(subscriptionId)! - 1;
      if (n === 0) this.runningBySubscription.delete(subscriptionId);
      else this.runningBySubscription.set(subscriptionId, n);
      if (!this.stopped) {
        this.startWaiting();
        // The slot may let a claim take what the last one had to skip for this subscription.
        this.schedulePump();
      }
    };
    const p = this.deliver(held, free)
      .catch((err) => this.logger.error(`delivery ${held.claimed.delivery.delivery_id} failed to complete (its lease will expire and it will be retried): ${(err as Error).message}`))
      .finally(() => {
        this.inFlight.delete(p);
        free();
      });
    this.inFlight.add(p);
  }

  /** One attempt: sign, send, log it and move the delivery on, in one store write. */
  private async deliver({ claimed, subscription: claimedWith, waited }: Held, sent: () => void): Promise<void> {
    const { delivery, event } = claimed;
    // Through the cache: a local disable or change invalidates it, so a set-aside delivery sees it at once.
    const subscription = waited ? await this.cache.get(delivery.subscription_id).catch(() => claimedWith) : claimedWith;
    const attemptedAt = new Date();
    const attemptNumber = delivery.attempts + 1;
    let result: SendResult;
    let status: DeliveryStatus;
    let next: DeliveryTransition;
    if (!subscription || !subscription.active) {
      result = { ok: false, status_code: null, duration_ms: 0, error_message: subscription ? 'not sent: subscription is inactive' : 'not sent: subscription was deleted', retry_after_ms: null, gone: false };
      status = 'cancelled';
      next = { status: 'cancelled' };
    } else {
      const headers = this.signer.headers(subscription, event.event_id, event.event_type, event.body, attemptedAt);
      result = await this.http.send(subscription.url, headers, event.body, this.aborter.signal);
      // Interrupted by shutdown: not the receiver's fault, so nothing is logged; the lease is released.
      if (this.aborter.signal.aborted) return;
      if (result.ok) {
        sent();
        status = 'delivered';
        next = { status: 'delivered' };
      } else if (result.gone) {
        status = 'failed';
        next = { status: 'cancelled' };
      } else if (isLastAttempt(this.config, attemptNumber)) {
        status = 'dead_letter';
        next = { status: 'dead_letter' };
      } else {
        const delay = Math.max(retryDelayMs(this.config, attemptNumber), result.retry_after_ms ?? 0);
        status = 'failed';
        next = { status: 'pending', next_attempt_at: new Date(Date.now() + delay) };
      }
    }
    const attempt: DeliveryAttempt = {
      attempt_id: newId(),
      subscription_id: delivery.subscription_id,
      event_id: event.event_id,
      event_type: event.event_type,
      status,
      status_code: result.status_code,
      attempt_number: attemptNumber,
      attempted_at: attemptedAt,
      next_retry_at: next.status === 'pending' ? next.next_attempt_at : null,
      error_message: result.error_message,
      duration_ms: result.duration_ms,
    };
    const applied = await this.completions.add({ delivery_id: delivery.delivery_id, worker_id: this.workerId, attempt, next });
    if (!applied) {
      this.logger.warn(`delivery ${delivery.delivery_id} was re-queued or re-claimed while being sent; attempt logged, state left to its new owner`);
      return;
    }
    if (next.status === 'pending') this.wakeAt(next.next_attempt_at);
    this.emit({ type: status === 'delivered' ? 'delivered' : status === 'dead_letter' ? 'dead_lettered' : status === 'cancelled' ? 'cancelled' : 'failed', attempt });
    if (subscription && result.gone) await this.disable(subscription, `receiver answered 410 Gone at ${attemptedAt.toISOString()}`);
    else if (subscription && (status === 'failed' || status === 'dead_letter')) await this.maybeDisable(subscription, attemptedAt);
  }

  /** Auto-disable: too many failures within the window, with no success since. */
  private async maybeDisable(subscription: WebhookSubscription, now: Date): Promise<void> {
    const threshold = this.config.disable_after_consecutive_failures;
    if (threshold <= 0) return;
    const since = new Date(now.getTime() - this.config.failure_window_hours * 3_600_000);
    const failures = await this.deliveries.countRecentFailures(subscription.subscription_id, since);
    if (failures >= threshold) {
      await this.disable(subscription, `${failures} consecutive failures within ${this.config.failure_window_hours}h (disable_after_consecutive_failures=${threshold})`);
    }
  }

  private async disable(subscription: WebhookSubscription, reason: string): Promise<void> {
    const current = await this.subscriptions.get(subscription.subscription_id);
    if (!current || !current.active) return;
    await this.subscriptions.update({ ...current, active: false, disabled_reason: reason });
    this.cache.invalidate();
    this.logger.warn(`subscription ${subscription.subscription_id} disabled: ${reason}`);
    this.emit({ type: 'subscription_disabled', subscription_id: subscription.subscription_id, reason });
  }

  private emit(outcome: WebhookOutcome): void {
    try {
      this.outcomes.next(outcome);
    } catch (err) {
      this.logger.error(`an outcomes$ listener threw: ${(err as Error).message}`);
    }
  }

  private release(ids: string[]): void {
    const p = this.deliveries
      .releaseLeases(this.workerId, ids)
      .catch((err) => this.logger.warn(`releasing ${ids.length} leases failed (they will expire): ${(err as Error).message}`))
      .finally(() => this.releasing.delete(p));
    this.releasing.add(p);
  }

  /**
   * Stops claiming, releases what was claimed but not started, and waits up to `shutdown_timeout_seconds` for
   * sends in flight; whatever is still running then is released so another replica can take it at once.
   */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.shutDown) return;
    this.shutDown = true;
    this.stopClaiming();
    await this.pumping;
    const notStarted = [...this.waiting.values()].flat().map((h) => h.claimed.delivery.delivery_id);
    this.waiting.clear();
    this.waitingCount = 0;
    if (notStarted.length) await this.deliveries.releaseLeases(this.workerId, notStarted).catch(() => 0);
    if (this.inFlight.size > 0) {
      let timeout: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((resolve) => (timeout = setTimeout(resolve, this.config.shutdown_timeout_seconds * 1000)));
      await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
      clearTimeout(timeout);
      if (this.inFlight.size > 0) {
        this.logger.warn(`${this.inFlight.size} sends still running after ${this.config.shutdown_timeout_seconds}s: aborting them and releasing their leases`);
        this.aborter.abort();
        await Promise.allSettled([...this.inFlight]);
        await this.deliveries.releaseLeases(this.workerId).catch(() => 0);
      }
    }
    // Releases started while the last claim came back (deliveries that could no longer start).
    await Promise.allSettled([...this.releasing]);
    this.outcomes.complete();
  }
}

/** Subscriptions that got `limit` deliveries in a claim (they may have more due). */
function limitedSubscriptions(claimed: ClaimedDelivery[], limit: number): string[] {
  const counts = new Map<string, number>();
  for (const c of claimed) counts.set(c.delivery.subscription_id, (counts.get(c.delivery.subscription_id) ?? 0) + 1);
  return [...counts].filter(([, n]) => n >= limit).map(([id]) => id);
}

/** The record of a delivery just stored leased to this worker (what a claim would have returned). */
function leasedDelivery(event: StoredEvent, target: NewDelivery): ClaimedDelivery['delivery'] {
  return {
    delivery_id: target.delivery_id,
    event_id: event.event_id,
    subscription_id: target.subscription_id,
    event_type: event.event_type,
    status: 'pending',
    attempts: 0,
    next_attempt_at: event.created_at,
    locked_until: target.lease!.until,
    locked_by: target.lease!.worker_id,
    last_attempt_id: null,
    created_at: event.created_at,
    updated_at: event.created_at,
  };
}
