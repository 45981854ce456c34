import { setMaxListeners } from 'node:events';
import type { Observable } from 'rxjs';
import type { WebhookConfig } from '../../config/webhook-config';
import type { WebhookOutcome } from '../../domain/outcome';
import type { DeliveryQueue } from '../../domain/stores';
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
import { Sends } from './sends';
import { WriteBatcher } from './write-batcher';

/** Committed events whose deliveries one lease write takes at most. */
const ADOPT_BATCH = 500;

/** The config keys the engine reads. */
export type EngineConfig = RetryConfig &
  Pick<WebhookConfig, 'max_concurrent_deliveries' | 'max_concurrent_per_endpoint' | 'claim_batch_size' | 'delivery_timeout_seconds' | 'lease_seconds'> &
  Pick<WebhookConfig, 'retry_max_attempts_ceiling' | 'max_concurrent_per_endpoint_ceiling' | 'delivery_timeout_seconds_ceiling'>;

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
 * {@link RateLimitedClaims} decide; deliveries a caller's transaction committed are leased by id
 * ({@link HandOff.adoptCommitted}). {@link Sends} starts what is held within the slots {@link Capacity} counts;
 * each attempt is run by an {@link AttemptRunner}, within the timeout {@link SendTimeouts} gives it.
 * Everything held is leased in the store: a crash loses nothing, the lease expires and any replica takes it.
 * No Nest: the module's `WebhookRuntimeHost` starts and stops it.
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
  private readonly sends: Sends;
  /** Aborts the sends in flight when shutdown runs out of patience. */
  private readonly aborter = new AbortController();
  private readonly releases: LeaseReleases;
  private stopped: Promise<void> | null = null;

  constructor(private readonly parts: DeliveryEngineParts) {
    const { config } = parts;
    this.workerId = parts.workerId;
    this.channel = new OutcomeChannel(parts.logger);
    this.outcomes = this.channel.outcomes;
    this.clock = parts.clock ?? systemClock;
    // Deliveries given back are due in the store again: a claim looks for them now, not at the next poll.
    this.releases = new LeaseReleases(parts.queue, this.workerId, parts.logger, (subscriptionIds) => {
      this.planner.noteBacklog(subscriptionIds);
      this.loop.wake();
    });
    const leaseMs = config.lease_seconds * 1000;
    const timeouts = new SendTimeouts(config.delivery_timeout_seconds * 1000, leaseMs, config.delivery_timeout_seconds_ceiling * 1000);
    const minClaim = Math.max(1, Math.min(config.claim_batch_size, Math.floor(config.max_concurrent_deliveries / 4)));
    this.capacity = new Capacity({ maxInProcess: config.max_concurrent_deliveries, sendCap: config.max_concurrent_per_endpoint, ownCapCeiling: config.max_concurrent_per_endpoint_ceiling });
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
      startHeld: () => this.sends.startHeld(),
      hold: (claimed) => this.sends.holdClaimed(claimed),
    });
    this.loop = new ClaimLoop(
      () => step.run(),
      this.clock,
      (err) => parts.logger.error(`claiming deliveries failed (will retry on the next tick): ${(err as Error).message}`),
      () => this.markUnknownWork(),
    );
    this.handOff = new HandOff(this.capacity, this.planner, { workerId: this.workerId, leaseMs, minClaim, clock: this.clock }, {
      accepting: () => this.loop.accepting,
      adopt: (held) => this.sends.holdHandedOver(held),
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
    const attempts = new AttemptRunner({
      ...parts,
      telemetry: parts.telemetry ?? NO_TELEMETRY,
      recorder: new AttemptRecorder(parts.queue, this.workerId, config.max_concurrent_deliveries, parts.immediateWrites),
      retry: config,
      timeouts,
      clock: this.clock,
      signal: this.aborter.signal,
      retryAt: (at) => this.loop.wakeAt(at),
      emit: (outcome) => this.channel.emit(outcome),
    });
    this.sends = new Sends({
      ...parts,
      capacity: this.capacity,
      attempts,
      timeouts,
      releases: this.releases,
      clock: this.clock,
      accepting: () => this.loop.accepting,
      slotFreed: (held) => {
        // A rate-limited subscription left out of the last claim for want of a slot may take tokens again.
        if (held.subscription?.rate_limit_per_second != null) this.rateLimited.markUnknown();
        // The slot may let a claim take what the last one had to skip for this subscription.
        this.loop.wake();
      },
      laneTurnEnded: (subscriptionId) => {
        // A claim finds the lane's next delivery, whose turn may have come.
        this.planner.noteBacklog([subscriptionId]);
        if (this.loop.accepting) this.loop.wake();
      },
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

  private async shutdown(graceMs: number): Promise<void> {
    this.rateLimited.stop();
    await this.loop.stop();
    const notStarted = this.capacity.drainHeld().map((h) => h.claimed.delivery.delivery_id);
    if (notStarted.length > 0) await this.parts.queue.releaseLeases(this.workerId, notStarted).catch(() => 0);
    if (!(await this.sends.settled(graceMs))) {
      this.parts.logger.warn(`${this.sends.running} sends still running after ${graceMs / 1000}s: aborting them and releasing their leases`);
      this.aborter.abort();
      await this.sends.settled();
      await this.parts.queue.releaseLeases(this.workerId).catch(() => 0);
    }
    // Releases started while the last claim came back (deliveries that could no longer start).
    await this.releases.settled();
    this.channel.complete();
  }
}
