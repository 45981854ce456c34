/** What a store tells this process about changes it cannot observe by itself. */
export interface StoreSignalListener {
  /** Deliveries may have become due: a transaction that stored some committed (here, or on another replica). */
  deliveriesDue(): void;
  /** Subscriptions changed, possibly on another replica: read the changes now. */
  subscriptionsChanged(): void;
}

/**
 * A store's change signals (PostgreSQL LISTEN/NOTIFY, TypeORM post-commit hooks). Started when the app has
 * bootstrapped and stopped when it shuts down; while stopped, nothing is listened to (polling still finds
 * everything, only later).
 */
export interface StoreSignals {
  start(listener: StoreSignalListener): Promise<void>;
  stop(): Promise<void>;
}
