import type { DeliveryLog } from './delivery-log';
import type { DeliveryQueue } from './delivery-queue';

/** Retention: what the scheduled purge deletes. */
export interface DeliveryRetention {
  /**
   * Deletes attempts older than `before` (and the stats of the 5-minute slices that ended by then), events (with
   * their deliveries) finished before it, and what ordering lanes idle for a day kept.
   */
  purge(before: Date): Promise<{ attempts: number; events: number }>;
}

/** Everything the delivery store does, by role: the queue, the log, retention. */
export interface WebhookDeliveryStore extends DeliveryQueue, DeliveryLog, DeliveryRetention {}
