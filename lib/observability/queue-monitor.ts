import { Injectable } from '@nestjs/common';
import type { QueueSnapshot } from '../domain/stats';
import type { DeliveryQueue } from '../domain/stores';
import { InjectWebhookDeliveryStore } from '../webhook.constants';

/** How long a queue reading serves the gauges and the stats routes before the store is asked again. */
export const QUEUE_READING_MAX_AGE_MS = 5000;

/** A {@link QueueSnapshot} with when it was taken and the queue lag it implies. */
export interface QueueReading extends QueueSnapshot {
  at: Date;
  /** Seconds since the oldest due delivery became due (0 when none is due). */
  lag_seconds: number;
}

/**
 * Reads the queue's state from the store (`DeliveryQueue.queueSnapshot`: three indexed reads) at most once per
 * {@link QUEUE_READING_MAX_AGE_MS} for the metrics gauges and the stats routes; readers meanwhile share the last
 * reading, and concurrent readers one query. The health indicator asks for a {@link fresh} one.
 */
@Injectable()
export class QueueMonitor {
  private last: QueueReading | null = null;
  private reading: Promise<QueueReading> | null = null;

  constructor(@InjectWebhookDeliveryStore() private readonly store: Pick<DeliveryQueue, 'queueSnapshot'>) {}

  /** The last reading if younger than `maxAgeMs`, else a new one. */
  read(maxAgeMs = QUEUE_READING_MAX_AGE_MS): Promise<QueueReading> {
    if (this.last && Date.now() - this.last.at.getTime() < maxAgeMs) return Promise.resolve(this.last);
    return this.fresh();
  }

  /** A new reading (joins one already under way). Rejects when the store cannot be read. */
  fresh(): Promise<QueueReading> {
    if (!this.reading) {
      const now = new Date();
      this.reading = this.store
        .queueSnapshot(now)
        .then((s) => (this.last = { ...s, at: now, lag_seconds: s.oldest_due_at ? Math.max(0, (now.getTime() - s.oldest_due_at.getTime()) / 1000) : 0 }))
        .finally(() => (this.reading = null));
    }
    return this.reading;
  }
}
