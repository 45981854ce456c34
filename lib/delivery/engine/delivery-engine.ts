import { setMaxListeners } from 'node:events';
import type { Observable } from 'rxjs';
import type { WebhookConfig } from '../../config/webhook-config';
import type { WebhookOutcome } from '../../domain/outcome';
import type { DeliveryQueue } from '../../domain/stores';
import type { ClaimedDelivery, WebhookSubscription } from '../../domain/types';
import { AttemptRecorder } from './attempt-recorder';
import { AttemptRunner } from './attempt-runner';
import type { AttemptSender } from './attempt-sender';
import { Capacity } from './capacity';
import { ClaimLoop, type ClaimLoopLiveness } from './claim-loop';
import { ClaimPlanner } from './claim-planner';
import { ClaimStep } from './claim-step';
import { systemClock, type Clock } from './clock';
import { HandOff, type CommittedEvent, type HandOffTarget, type Reservation } from './hand-off';
import type { Held } from './held';
import { LeaseReleases } from './lease-releases';
import { OutcomeChannel } from './outcome-channel';
import { NO_TELEMETRY, type AttemptTelemetry, type EndpointHealth, type EngineLogger, type SubscriptionLookup } from './ports';
import { RateLimitedClaims } from './rate-limited-claims';
import type { RetryConfig } from './retry-policy';
import { SendTimeouts } from './send-timeouts';
import { WriteBatcher } from './write-batcher';

/** Committed events whose deliveries one lease write takes at most. */
const ADOPT_BATCH = 500;

/** The config keys the engine reads. */
export type EngineConfig = RetryConfig & Pick<WebhookConfig, 'max_concurrent_deliveries' | 'max_concurrent_per_endpoint' | 'claim_batch_size' | 'delivery_timeout_seconds' | 'lease_seconds'>;

/** What a {@link DeliveryEngine} is built from. */
export interface DeliveryEngineParts {
  /** Identifies this process's leases. */
  workerId: string;
  config: EngineConfig;
  queue: DeliveryQueue;
  sender: AttemptSender;
  subscriptions: SubscriptionLookup;
  health: EndpointHealth;
  logger: EngineLogger;
  /** Spans of attempts (default: none). */
  telemetry?: AttemptTelemetry;
  /** Write each completion alone, at once: for a store with no commit to share (memory). */
  immediateWrites: boolean;
  clock?: Clock;
  /** For the retry jitter. */
  random?: () => number;
}

/**
 * Sends deliveries with at most `max_concurrent_deliveries` in flight (`max_concurrent_per_endpoint` per
 * subscription, or its own). Work comes two ways: fresh deliveries of this process's `dispatch()` through the
 * {@link HandOff} (stored already leased here: no claim), and everything else (retries, overflow, other
 * replicas' work, expired leases, and every delivery of a rate-limited subscription, whose tokens are in the
 * store) through claims by the {@link ClaimLoop}, each step a {@link ClaimStep} as the {@link ClaimPlanner} and
 * {@link RateLimitedClaims} decide. Slots are counted by {@link Capacity}; each attempt is run by an
 * {@link AttemptRunner}, within the timeout {@link SendTimeouts} gives it.
 * Everything held is leased in the store: a crash loses nothing, the lease expires and any replica takes it.
 * No Nest: the module's `DeliveryWorker` starts and stops it.
 */
export class DeliveryEngine {
  readonly workerId: string;
  /** Every outcome, after it is stored. */
  readonly outcomes: Observable<WebhookOutcome>;

  private readonly channel: OutcomeChannel;
  private readonly clock: Clock;
  private readonly capacity: Capacity<Held>;
  private readonly planner: ClaimPlanner;
  private readonly rateLimited: RateLimitedClaims;
  private readonly loop: ClaimLoop;
  private readonly handOff: HandOff;
  /** Committed events waiting for the lease write in flight: the next one takes them all. */
  private readonly commits: WriteBatcher<CommittedEvent, undefined>;
  private readonly attempts: AttemptRunner;
  private readonly timeouts: SendTimeouts;
  /** Aborts the sends in flight when shutdown runs out of patience. */
  private readonly aborter = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly releases: LeaseReleases;
  private stopped: Promise<void> | null = null;

  constructor(private readonly parts: DeliveryEngineParts) {
    const { config } = parts;
    this.workerId = parts.workerId;
    this.channel = new OutcomeChannel(parts.logger);
    this.outcomes = this.channel.outcomes;
    this.clock = parts.clock ?? systemClock;
    this.releases = new LeaseReleases(parts.queue, this.workerId, parts.logger);
    const leaseMs = config.lease_seconds * 1000;
    this.timeouts = new SendTimeouts(config.delivery_timeout_seconds * 1000, leaseMs);
    const minClaim = Math.max(1, Math.min(config.claim_batch_size, Math.floor(config.max_concurrent_deliveries / 4)));
    this.capacity = new Capacity({ maxInProcess: config.max_concurrent_deliveries, sendCap: config.max_concurrent_per_endpoint });
    this.planner = new ClaimPlanner({ batchSize: config.claim_batch_size, minClaim });
    this.rateLimited = new RateLimitedClaims(this.clock, () => this.loop.wake());
    const step = new ClaimStep({
      ...parts,
      capacity: this.capacity,
      planner: this.planner,
      rateLimited: this.rateLimited,
      leaseMs,
      batchSize: config.claim_batch_size,
      clock: this.clock,
      startHeld: () => this.startHeld(),
      hold: (claimed) => this.hold(claimed),
    });
    this.loop = new ClaimLoop(
      () => step.run(),
      this.clock,
      (err) => parts.logger.error(`claiming deliveries failed (will retry on the next tick): ${(err as Error).message}`),
      () => this.markUnknownWork(),
    );
    this.handOff = new HandOff(this.capacity, this.planner, { workerId: this.workerId, leaseMs, minClaim, clock: this.clock }, {
      accepting: () => this.loop.accepting,
      adopt: (held) => this.adopt(held),
      unleasedStored: (rateLimited) => {
        if (rateLimited) this.rateLimited.markUnknown();
        this.loop.wake();
      },
    });
    this.commits = new WriteBatcher(
      async (items) => {
        await this.handOff.adoptCommitted(items, (ids, lease) => this.parts.queue.leaseByIds(ids, lease, new Date(this.clock.now())));
        return items.map(() => undefined);
      },
      ADOPT_BATCH,
      1,
      parts.immediateWrites,
    );
    this.attempts = new AttemptRunner({
      ...parts,
      telemetry: parts.telemetry ?? NO_TELEMETRY,
      recorder: new AttemptRecorder(parts.queue, this.workerId, config.max_concurrent_deliveries, parts.immediateWrites),
      retry: config,
      timeouts: this.timeouts,
      clock: this.clock,
      signal: this.aborter.signal,
      retryAt: (at) => this.loop.wakeAt(at),
      emit: (outcome) => this.channel.emit(outcome),
    });
    // Every send in flight listens on this one signal (up to max_concurrent_deliveries at once, each removed when
    // its send ends): not a leak, so no MaxListenersExceededWarning past 10.
    setMaxListeners(0, this.aborter.signal);
  }

  /** Sends in flight now. */
  get activeSends(): number {
    return this.capacity.sending;
  }

  /** The claim loop's state and timing, for health checks. */
  get liveness(): ClaimLoopLiveness {
    return this.loop.liveness;
  }

  /** Due work may be in the store (start-up, redelivery, redrive): claim soon. */
  wake(): void {
    this.markUnknownWork();
    this.loop.wake();
  }

  /** Claims what is due now (the retry processor's tick); resolves when the round ends. Never throws. */
  poll(): Promise<void> {
    this.markUnknownWork();
    return this.loop.run();
  }

  /**
   * Leases for fresh deliveries of `dispatch()` to these subscriptions (see {@link HandOff.reserve}; never for a
   * rate-limited one); settle the reservation after the enqueue.
   */
  reserve(subscriptions: readonly HandOffTarget[]): Reservation {
    return this.handOff.reserve(subscriptions);
  }

  /**
   * Events a caller's transaction stored have committed: those of their deliveries this process has room for are
   * leased by id and started at once, the rest left to claims (see {@link HandOff.adoptCommitted}). Commits that
   * come while a lease write is in flight share the next one (one statement, one disk sync, for many
   * transactions). Never throws.
   */
  async adoptCommitted(items: readonly CommittedEvent[]): Promise<void> {
    await Promise.all(items.map((item) => this.commits.add(item))).catch((err) =>
      this.parts.logger.error(`leasing committed deliveries failed (claims take them): ${(err as Error).message}`),
    );
  }

  /** Whether this process has room now for `count` more deliveries (a hint: the room may be taken by then). */
  hasRoomFor(count: number): boolean {
    return this.loop.accepting && this.capacity.freeRoom >= count;
  }

  /** Stops claiming and starting sends (sends in flight go on); waits for a claim in flight. */
  stopClaiming(): Promise<void> {
    return this.loop.stop();
  }

  /**
   * Stops claiming, releases what is held but not started, and waits up to `graceMs` for sends in flight; those
   * still running then are aborted and their leases released, so another replica can take them at once. Idempotent.
   */
  stop(graceMs: number): Promise<void> {
    return (this.stopped ??= this.shutdown(graceMs));
  }

  private markUnknownWork(): void {
    this.planner.markUnknownWork();
    this.rateLimited.markUnknown();
  }

  /** Holds claimed deliveries for a send slot; a subscription's excess over its hold limit goes back to the store. */
  private async hold(claimed: ClaimedDelivery[]): Promise<void> {
    const subscriptions = new Map<string, WebhookSubscription | null>();
    const ids = [...new Set(claimed.map((c) => c.delivery.subscription_id))];
    await Promise.all(ids.map(async (id) => subscriptions.set(id, await this.parts.subscriptions.get(id))));
    for (const [id, sub] of subscriptions) this.capacity.setCap(id, sub?.max_concurrent_per_endpoint);
    const excess: string[] = [];
    for (const c of claimed) {
      const id = c.delivery.subscription_id;
      if (!this.capacity.hold(id, { claimed: c, subscription: subscriptions.get(id) ?? null, recheck: false })) excess.push(c.delivery.delivery_id);
    }
    if (excess.length > 0) this.releases.release(excess);
    this.startHeld();
    for (const held of this.capacity.heldItems()) held.recheck = true;
  }

  /** Deliveries handed over by `dispatch()` and stored leased here. */
  private adopt(held: Held[]): void {
    if (!this.loop.accepting) return this.releases.release(held.map((h) => h.claimed.delivery.delivery_id));
    const excess = held.filter((h) => !this.capacity.hold(h.claimed.delivery.subscription_id, h)).map((h) => h.claimed.delivery.delivery_id);
    if (excess.length > 0) this.releases.release(excess);
    this.startHeld();
  }

  /** Starts held deliveries while there are slots; releases those whose lease would end before their send could. */
  private startHeld(): void {
    const expiring: string[] = [];
    const now = this.clock.now();
    for (const held of this.capacity.startable()) {
      const { delivery } = held.claimed;
      if (this.loop.accepting && (delivery.locked_until?.getTime() ?? 0) >= now + this.timeouts.needed(held.subscription)) this.startSend(held);
      else {
        this.capacity.finish(delivery.subscription_id);
        expiring.push(delivery.delivery_id);
      }
    }
    if (expiring.length > 0) this.releases.release(expiring);
  }

  private startSend(held: Held): void {
    const subscriptionId = held.claimed.delivery.subscription_id;
    let freed = false;
    // The slot is freed once the endpoint answered 2xx (the attempt is then recorded in the background, so
    // database latency does not throttle an endpoint), or after everything for a failure (which may disable the
    // subscription before its next delivery starts).
    const free = () => {
      if (freed) return;
      freed = true;
      this.capacity.finish(subscriptionId);
      if (!this.loop.accepting) return;
      // A rate-limited subscription left out of the last claim for want of a slot may take tokens again.
      if (held.subscription?.rate_limit_per_second != null) this.rateLimited.markUnknown();
      this.startHeld();
      // The slot may let a claim take what the last one had to skip for this subscription.
      this.loop.wake();
    };
    const sending = this.attempts.run(held, free)
      .catch((err) => this.parts.logger.error(`delivery ${held.claimed.delivery.delivery_id} failed to complete (its lease will expire and it will be retried): ${(err as Error).message}`))
      .finally(() => {
        this.inFlight.delete(sending);
        // Its state is written: the next delivery of its lane may have its turn now (a claim finds it).
        if (held.claimed.delivery.lane != null) this.planner.noteBacklog([subscriptionId]);
        free();
        if (held.claimed.delivery.lane != null && this.loop.accepting) this.loop.wake();
      });
    this.inFlight.add(sending);
  }

  private async shutdown(graceMs: number): Promise<void> {
    this.rateLimited.stop();
    await this.loop.stop();
    const notStarted = this.capacity.drainHeld().map((h) => h.claimed.delivery.delivery_id);
    if (notStarted.length > 0) await this.parts.queue.releaseLeases(this.workerId, notStarted).catch(() => 0);
    if (this.inFlight.size > 0) {
      let timer: { cancel(): void } | undefined;
      const deadline = new Promise<void>((resolve) => (timer = this.clock.setTimer(resolve, graceMs)));
      await Promise.race([Promise.allSettled([...this.inFlight]), deadline]);
      timer?.cancel();
      if (this.inFlight.size > 0) {
        this.parts.logger.warn(`${this.inFlight.size} sends still running after ${graceMs / 1000}s: aborting them and releasing their leases`);
        this.aborter.abort();
        await Promise.allSettled([...this.inFlight]);
        await this.parts.queue.releaseLeases(this.workerId).catch(() => 0);
      }
    }
    // Releases started while the last claim came back (deliveries that could no longer start).
    await this.releases.settled();
    this.channel.complete();
  }
}
