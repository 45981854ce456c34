import { Inject, Injectable } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { EventCatalog } from '../catalog/event-catalog';
import type { WebhookConfig } from '../config/webhook-config';
import { newId } from '../domain/ids';
import type { WebhookOutcome } from '../domain/outcome';
import { printable } from '../domain/printable';
import type { StoreCapabilities } from '../domain/store-backend';
import type { DeliveryLease, EnqueueItem, RedriveQuery, WebhookDeliveryStore, WebhookSubscriptionStore } from '../domain/stores';
import type { Result, StoredEvent, WebhookEventInput } from '../domain/types';
import {
  DeliveryAttemptNotFoundError,
  EventPurgedError,
  InvalidEventError,
  SubscriptionInactiveError,
  SubscriptionNotFoundError,
  type WebhookError,
} from '../domain/webhook.error';
import { SubscriptionCache } from '../subscriptions/subscription-cache';
import { InjectWebhookConfig, InjectWebhookDeliveryStore, InjectWebhookSubscriptionStore, InjectWebhookTelemetry } from '../webhook.constants';
import { InjectStoreCapabilities } from '../webhook-stores';
import { DeliveryEngine } from './engine/delivery-engine';
import type { HandOffTarget } from './engine/hand-off';
import { WriteBatcher } from './engine/write-batcher';
import { serializeEvent, type SerializedEvent } from './event-serializer';
import type { WebhookTelemetry } from './telemetry.port';
import { TransactionHostRef } from './transaction-host.ref';

/** An event ready to store: serialized, matched, with an id per delivery. */
interface PreparedEvent {
  event: StoredEvent;
  /** The subscriptions it goes to, as the hand-off needs them. */
  targets: readonly HandOffTarget[];
  subscriptionIds: string[];
  deliveryIds: string[];
  /** The lane of its deliveries to ordered subscriptions (`''`: the keyless lane). */
  lane: string;
}

/** Most events written in one dispatch transaction. */
const ENQUEUE_BATCH = 200;

/** What `dispatch()` accepted. */
export interface DispatchResult {
  /** The event's id (generated when not given). */
  event_id: string;
  /** Deliveries created: one per matching active subscription (0 for a duplicate). */
  delivery_count: number;
  /** True when this event_id was already accepted: nothing new was stored or sent. */
  duplicate: boolean;
}

/** Options of `dispatch()` and `dispatchMany()`. */
export interface DispatchOptions {
  /**
   * The TypeORM `EntityManager` of a running transaction on the module's DataSource (the `manager` given to
   * `dataSource.transaction(...)`'s callback, or a QueryRunner's manager): the events are stored in that transaction, so they
   * exist exactly when it commits, and nothing is sent before the commit. If it rolls back, nothing is sent and
   * nothing of ours remains. TypeORM backend only.
   */
  manager?: unknown;
}

/** Accepts events for delivery and re-sends past ones. */
@Injectable()
export class WebhookDeliveryService {
  private readonly enqueues: WriteBatcher<EnqueueItem, boolean>;

  /** @internal Made by Nest's injector; its parameters are the module's internals. */
  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @InjectWebhookDeliveryStore() private readonly deliveries: WebhookDeliveryStore,
    @InjectWebhookSubscriptionStore() private readonly subscriptions: WebhookSubscriptionStore,
    @Inject(DeliveryEngine) private readonly engine: DeliveryEngine,
    @Inject(SubscriptionCache) private readonly cache: SubscriptionCache,
    @Inject(TransactionHostRef) private readonly transactions: TransactionHostRef,
    @InjectWebhookTelemetry() private readonly telemetry: WebhookTelemetry,
    @Inject(EventCatalog) private readonly catalog: EventCatalog,
    @InjectStoreCapabilities() capabilities: StoreCapabilities,
  ) {
    // Concurrent dispatches share one transaction (group commit): one disk sync for many events.
    // A store with no commit to share (memory) gets each dispatch written at once.
    this.enqueues = new WriteBatcher((items) => this.deliveries.enqueue(items), ENQUEUE_BATCH, 2, !capabilities.groupCommit);
  }

  /** Every delivery outcome (delivered, failed, dead_lettered, cancelled, subscription_disabled), to alert or count. */
  get outcomes$(): Observable<WebhookOutcome> {
    return this.engine.outcomes;
  }

  /**
   * Validates and serializes the event once, stores it with one delivery per matching active subscription (its
   * event types, tenant and `filter`) in one transaction, and returns; the first attempt starts at once in the background (in this process when
   * its engine has room, without a claim; otherwise by whichever replica claims it first). Dispatching an event_id
   * that was already accepted changes nothing. Throws `WebhookError` (code `INVALID_EVENT`) for an event that
   * cannot be sent, before anything is stored.
   *
   * With `options.manager` (or inside a `@Transactional()` method when `transaction_host` is set) the event is
   * stored in the caller's transaction instead and sent once it commits (see {@link DispatchOptions}); a manager
   * that cannot be joined is refused with an `InvalidTransactionError` before anything is written.
   */
  async dispatch<T>(event: WebhookEventInput<T>, options: DispatchOptions = {}): Promise<DispatchResult> {
    // The span (a child of the caller's) is stored with the event: every attempt's span links to it.
    const trace = this.telemetry.startDispatch(typeof event?.event_type === 'string' ? event.event_type : 'invalid');
    try {
      const result = await this.dispatchOne(event, options, trace.traceparent);
      trace.end(result);
      return result;
    } catch (err) {
      trace.end(null, err);
      throw err;
    }
  }

  private async dispatchOne<T>(event: WebhookEventInput<T>, options: DispatchOptions, traceparent: string | null): Promise<DispatchResult> {
    const manager = this.transactionOf(options);
    if (manager !== undefined) return (await this.dispatchInTransaction([event], manager, [traceparent]))[0];
    const serialized = serializeEvent(event, this.config.max_payload_bytes, new Date(), traceparent);
    // No await when nothing needs one (dispatch is the hot path).
    const prepared = this.preparedNow(serialized) ?? (await this.preparedLater(serialized));
    // Those this process's engine has room for are stored leased to it, and start as soon as they commit.
    const reservation = this.engine.reserve(prepared.targets);
    let created = false;
    try {
      created = await this.enqueues.add(enqueueItem(prepared, reservation.leases));
    } finally {
      reservation.settle(prepared.event, prepared.deliveryIds, created);
    }
    return dispatchResult(prepared, created);
  }

  /**
   * `dispatch()` for several events at once, all or nothing: every event is validated before anything is written,
   * and all are stored in one transaction (the caller's, with `options.manager`). Returns what `dispatch()`
   * returns, per event, in order; a repeated event_id (stored, or earlier in the array) is a duplicate.
   */
  async dispatchMany<T>(events: ReadonlyArray<WebhookEventInput<T>>, options: DispatchOptions = {}): Promise<DispatchResult[]> {
    if (!Array.isArray(events)) throw new InvalidEventError('dispatchMany() takes an array of events');
    // One span per event, as for dispatch().
    const traces = events.map((event) => this.telemetry.startDispatch(typeof event?.event_type === 'string' ? event.event_type : 'invalid'));
    try {
      const results = await this.dispatchBatch(
        events,
        options,
        traces.map((t) => t.traceparent),
      );
      traces.forEach((t, i) => t.end(results[i]));
      return results;
    } catch (err) {
      for (const t of traces) t.end(null, err);
      throw err;
    }
  }

  private async dispatchBatch<T>(events: ReadonlyArray<WebhookEventInput<T>>, options: DispatchOptions, traceparents: ReadonlyArray<string | null>): Promise<DispatchResult[]> {
    const manager = this.transactionOf(options);
    if (manager !== undefined) return this.dispatchInTransaction(events, manager, traceparents);
    const prepared = await Promise.all(events.map((event, i) => this.prepare(event, traceparents[i])));
    const reservations = prepared.map((p) => this.engine.reserve(p.targets));
    let created: boolean[] = [];
    try {
      created = await this.deliveries.enqueue(prepared.map((p, i) => enqueueItem(p, reservations[i].leases)));
    } finally {
      reservations.forEach((r, i) => r.settle(prepared[i].event, prepared[i].deliveryIds, created[i] === true));
    }
    return prepared.map((p, i) => dispatchResult(p, created[i]));
  }

  /**
   * Stores in the caller's transaction, never leased. Once it commits, this process leases by id those it has
   * room for and starts them (no claim); the other replicas are told too (NOTIFY) when this one has no room.
   */
  private async dispatchInTransaction<T>(events: ReadonlyArray<WebhookEventInput<T>>, manager: unknown, traceparents: ReadonlyArray<string | null>): Promise<DispatchResult[]> {
    const prepared = await Promise.all(events.map((event, i) => this.prepare(event, traceparents[i])));
    const count = prepared.reduce((n, p) => n + p.subscriptionIds.length, 0);
    let created: boolean[] = [];
    const onCommit = () => void this.engine.adoptCommitted(prepared.filter((_, i) => created[i]));
    created = await this.deliveries.enqueue(
      prepared.map((p) => enqueueItem(p, null)),
      { manager, wake_others: !this.engine.hasRoomFor(count), on_commit: onCommit },
    );
    return prepared.map((p, i) => dispatchResult(p, created[i]));
  }

  /** The transaction to join: the one passed, else the active one of `transaction_host`. */
  private transactionOf(options: DispatchOptions): unknown {
    if (options === null || typeof options !== 'object') throw new InvalidEventError('the options of dispatch() must be an object, such as { manager }');
    if (options.manager !== undefined && options.manager !== null) return options.manager;
    return this.transactions.activeTransaction();
  }

  /**
   * Validates and serializes an event (against the event catalog, when there is one) and finds its subscriptions
   * (nothing is written); `traceparent` (its dispatch span) is stored with it.
   */
  private prepare<T>(input: WebhookEventInput<T>, traceparent: string | null): Promise<PreparedEvent> {
    const serialized = serializeEvent(input, this.config.max_payload_bytes, new Date(), traceparent);
    const prepared = this.preparedNow(serialized);
    return prepared ? Promise.resolve(prepared) : this.preparedLater(serialized);
  }

  /** A serialized event prepared at once, when there is no catalog to ask and its subscriptions are indexed here; else null. */
  private preparedNow(serialized: SerializedEvent): PreparedEvent | null {
    if (this.catalog.enabled) return null;
    const targets = this.cache.matchNow(serialized.event, serialized.tenant_id);
    return targets && preparedEvent(serialized, targets);
  }

  /** A serialized event checked against the catalog (when enabled), its subscriptions read from the store when not indexed here. */
  private async preparedLater(serialized: SerializedEvent): Promise<PreparedEvent> {
    if (this.catalog.enabled) await this.catalog.checkEvent(serialized.event);
    return preparedEvent(serialized, await this.cache.match(serialized.event, serialized.tenant_id));
  }

  /**
   * Sends the event of a logged attempt again, with its original body, to the same subscription: the delivery
   * becomes due now with a fresh retry cycle, also when it was a dead letter. The send happens in the background.
   */
  async redeliver(attemptId: string): Promise<Result<void, WebhookError>> {
    const attempt = typeof attemptId === 'string' && attemptId ? await this.deliveries.getAttempt(attemptId) : null;
    if (!attempt) return { ok: false, error: new DeliveryAttemptNotFoundError(printable(attemptId)) };
    const sub = await this.subscriptions.get(attempt.subscription_id);
    if (!sub) return { ok: false, error: new SubscriptionNotFoundError(attempt.subscription_id) };
    if (!sub.active) return { ok: false, error: new SubscriptionInactiveError(attempt.subscription_id) };
    if (!(await this.deliveries.requeueDelivery(attempt.event_id, attempt.subscription_id, new Date()))) return { ok: false, error: new EventPurgedError(attemptId) };
    this.engine.wake();
    return { ok: true };
  }

  /** Re-queues dead letters (optionally of one subscription and dead-lettered in [since, until)); returns how many. */
  async redrive(query: RedriveQuery = {}): Promise<number> {
    const n = await this.deliveries.requeueDeadLetters(query, new Date());
    if (n > 0) this.engine.wake();
    return n;
  }
}

function preparedEvent({ event, ordering_key }: SerializedEvent, targets: readonly HandOffTarget[]): PreparedEvent {
  const subscriptionIds: string[] = [];
  const deliveryIds: string[] = [];
  for (const t of targets) {
    subscriptionIds.push(t.subscription_id);
    deliveryIds.push(newId());
  }
  return { event, targets, subscriptionIds, deliveryIds, lane: ordering_key ?? '' };
}

/** The store item of a prepared event; `leases` per delivery (null: stored unleased). */
function enqueueItem(p: PreparedEvent, leases: ReadonlyArray<DeliveryLease | null> | null): EnqueueItem {
  return {
    event: p.event,
    deliveries: p.targets.map((t, i) => ({ delivery_id: p.deliveryIds[i], subscription_id: t.subscription_id, lease: leases?.[i] ?? null, lane: t.ordered ? p.lane : null })),
  };
}

function dispatchResult(p: PreparedEvent, created: boolean | undefined): DispatchResult {
  return { event_id: p.event.event_id, delivery_count: created ? p.subscriptionIds.length : 0, duplicate: !created };
}
