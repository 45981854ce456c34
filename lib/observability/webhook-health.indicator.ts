import { Inject, Injectable } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import { DeliveryEngine } from '../delivery/engine/delivery-engine';
import { InjectWebhookConfig } from '../webhook.constants';
import { QueueMonitor, type QueueReading } from './queue-monitor';

/** How long the store may take to answer a health check before it counts as unreachable. */
export const HEALTH_STORE_TIMEOUT_MS = 3000;

/** What {@link WebhookHealthIndicator.isHealthy} reports under its key. */
export interface WebhookHealthDetails {
  /** `up`, or `down` when the store cannot be read. */
  status: 'up' | 'down';
  /** `up`, or `down` with `store_error` when the queue could not be read within 3 s. */
  store: 'up' | 'down';
  /** Why the store could not be read (when `store` is `down`). */
  store_error?: string;
  /** Seconds the oldest due delivery has waited; null when the store could not be read. */
  queue_lag_seconds: number | null;
  /** `health_max_queue_lag_seconds` (0: not checked). */
  max_queue_lag_seconds: number;
  /** Deliveries waiting; null when the store could not be read. */
  pending: number | null;
  /** Deliveries dead-lettered; null when the store could not be read. */
  dead_letters: number | null;
  /** `up` while the delivery engine claims and sends; `down` when it is stopping, stopped, or stuck in a claim. */
  worker: 'up' | 'down';
  /** The engine's claim loop: idle, claiming, stopping or stopped; `stuck` when a claim has run longer than a lease. */
  worker_state: string;
  /** When the engine's last claim round ended (ISO), null before the first. */
  worker_last_round_at: string | null;
}

/** The result shape of a Terminus health indicator: `{ [key]: details }`. */
export type WebhookHealthResult<K extends string = string> = Record<K, WebhookHealthDetails>;

/**
 * A health indicator for `@nestjs/terminus` (an optional peer: this class does not import it): up when the store
 * answers within 3 s, the queue lag is at most `health_max_queue_lag_seconds`, and the delivery engine is alive.
 *
 * ```ts
 * @Get('health') @HealthCheck()
 * check() { return this.health.check([() => this.webhooks.isHealthy()]); }
 * ```
 *
 * It returns `{ webhooks: { status: 'up' | 'down', ...details } }` and never throws: Terminus (11 and later) answers
 * 503 when a status is `down`.
 */
@Injectable()
export class WebhookHealthIndicator {
  /** @internal Made by Nest's injector; its parameters are the module's internals. */
  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @Inject(QueueMonitor) private readonly queue: QueueMonitor,
    @Inject(DeliveryEngine) private readonly engine: Pick<DeliveryEngine, 'liveness'>,
  ) {}

  /** Reads the queue (within 3 s) and reports under `key` (default `'webhooks'`); never throws. */
  async isHealthy<K extends string = 'webhooks'>(key: K = 'webhooks' as K): Promise<WebhookHealthResult<K>> {
    let reading: QueueReading | null = null;
    let storeError: string | undefined;
    try {
      reading = await withTimeout(this.queue.fresh(), HEALTH_STORE_TIMEOUT_MS);
    } catch (err) {
      storeError = err instanceof Error ? err.message : String(err);
    }
    const maxLag = this.config.health_max_queue_lag_seconds;
    const lagOk = !reading || maxLag === 0 || reading.lag_seconds <= maxLag;
    const live = this.engine.liveness;
    // A claim round running longer than a lease is stuck (the deliveries it took would be claimed again by now).
    const stuck = live.round_started_at !== null && Date.now() - live.round_started_at > this.config.lease_seconds * 1000;
    const workerUp = (live.state === 'idle' || live.state === 'claiming') && !stuck;
    const details: WebhookHealthDetails = {
      status: reading && lagOk && workerUp ? 'up' : 'down',
      store: reading ? 'up' : 'down',
      ...(storeError !== undefined ? { store_error: storeError } : {}),
      queue_lag_seconds: reading ? Math.round(reading.lag_seconds * 1000) / 1000 : null,
      max_queue_lag_seconds: maxLag,
      pending: reading?.pending ?? null,
      dead_letters: reading?.dead_letters ?? null,
      worker: workerUp ? 'up' : 'down',
      worker_state: stuck ? 'stuck' : live.state,
      worker_last_round_at: live.last_round_ended_at !== null ? new Date(live.last_round_ended_at).toISOString() : null,
    };
    return { [key]: details } as WebhookHealthResult<K>;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the store did not answer within ${ms / 1000}s`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
