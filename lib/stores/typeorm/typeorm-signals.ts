import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { DataSource, EntitySubscriberInterface, QueryRunner } from 'typeorm';
import type { StoreSignalListener, StoreSignals } from '../../domain/store-signals';
import type { WebhookDataSourceRef } from './data-source.ref';
import { queueDialectOf, type SignalListener } from './dialects';

/**
 * NOTIFY payload: deliveries were stored that the sending replica did not take (or in a transaction that
 * committed). Sent as `d:<origin>` ({@link TypeOrmSignals.deliveriesSignal}), so the sender ignores its own.
 */
export const DELIVERIES_SIGNAL = 'd';
/** NOTIFY payload: subscriptions changed. */
export const SUBSCRIPTIONS_SIGNAL = 's';

/**
 * The TypeORM backend's change signals:
 * - a TypeORM subscriber on the app's DataSource: when a transaction in which `enqueue` wrote deliveries (the
 *   caller's own transaction) commits, this process's engine is woken at once, on every database;
 * - the dialect's listener (`QueueDialect.listener`; PostgreSQL `LISTEN` over one dedicated connection): the stores
 *   `NOTIFY` when they store deliveries nobody took or change subscriptions, inside the same transaction, so
 *   PostgreSQL delivers it to every replica exactly when it commits.
 * MySQL/MariaDB and SQLite have no such channel: other processes learn at their next poll.
 */
export class TypeOrmSignals implements StoreSignals {
  private listener: StoreSignalListener | null = null;
  private notifications: SignalListener | null = null;
  private registeredOn: DataSource | null = null;
  /** Transactions (by query runner) in which deliveries were enqueued, with what to do on commit, until they end. */
  private readonly watched = new WeakMap<QueryRunner, Array<() => void>>();
  /** This instance's mark on the deliveries signals it sends. */
  private readonly origin = randomUUID().slice(0, 8);
  private readonly subscriber: EntitySubscriberInterface;
  private readonly logger = new Logger('WebhookSignals');

  constructor(private readonly ref: WebhookDataSourceRef) {
    this.subscriber = {
      afterTransactionCommit: (event) => this.ended(event.queryRunner, true),
      afterTransactionRollback: (event) => this.ended(event.queryRunner, false),
    };
  }

  async start(listener: StoreSignalListener): Promise<void> {
    if (this.listener) return;
    this.listener = listener;
    const ds = this.ref.get();
    ds.subscribers.push(this.subscriber);
    this.registeredOn = ds;
    this.notifications = queueDialectOf(ds).listener(
      {
        notification: (payload) => this.received(payload),
        reconnected: () => {
          // Whatever was notified while the connection was down is caught up by looking now.
          listener.deliveriesDue();
          listener.subscriptionsChanged();
        },
      },
      this.logger,
    );
    await this.notifications?.start();
  }

  async stop(): Promise<void> {
    const ds = this.registeredOn;
    if (ds) {
      const i = ds.subscribers.indexOf(this.subscriber);
      if (i >= 0) ds.subscribers.splice(i, 1);
    }
    this.registeredOn = null;
    const notifications = this.notifications;
    this.notifications = null;
    this.listener = null;
    await notifications?.stop();
  }

  /** Whether the notification connection (PostgreSQL LISTEN) is open (false on other databases). */
  get listening(): boolean {
    return this.notifications?.listening ?? false;
  }

  /** The payload of a deliveries NOTIFY sent through this instance (its own are not acted on when they come back). */
  get deliveriesSignal(): string {
    return `${DELIVERIES_SIGNAL}:${this.origin}`;
  }

  /**
   * `enqueue` wrote deliveries inside the transaction of `queryRunner`: when it commits, run `onCommit`, or without
   * one wake this process's engine.
   */
  watchCommit(queryRunner: QueryRunner, onCommit?: () => void): void {
    let actions = this.watched.get(queryRunner);
    if (!actions) this.watched.set(queryRunner, (actions = []));
    actions.push(onCommit ?? (() => this.listener?.deliveriesDue()));
  }

  private ended(queryRunner: QueryRunner | undefined, committed: boolean): void {
    // A savepoint's end leaves the transaction active: only the outermost commit or rollback counts.
    if (!queryRunner || queryRunner.isTransactionActive) return;
    const actions = this.watched.get(queryRunner);
    if (!actions) return;
    this.watched.delete(queryRunner);
    if (!committed) return;
    for (const action of actions) {
      try {
        action();
      } catch (err) {
        this.logger.error(`after a commit: ${(err as Error).message}`);
      }
    }
  }

  private received(payload: string): void {
    const [kind, origin] = payload.split(':');
    if (kind === DELIVERIES_SIGNAL) {
      // Its own: this process already knows (it stored them).
      if (origin !== this.origin) this.listener?.deliveriesDue();
    } else if (kind === SUBSCRIPTIONS_SIGNAL) this.listener?.subscriptionsChanged();
  }
}
