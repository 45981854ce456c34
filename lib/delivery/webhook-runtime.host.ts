import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import type { StoreSignals } from '../domain/stores';
import { SubscriptionCache } from '../subscriptions/subscription-cache';
import { InjectWebhookConfig } from '../webhook.constants';
import { WEBHOOK_STORE_SIGNALS } from '../webhook-stores';
import { DeliveryEngine } from './engine/delivery-engine';
import { HostSchedulerRegistry } from './host-scheduler-registry';
import type { WebhookTransport } from './http';
import { RetentionProcessor } from './retention.processor';
import { RetryProcessor } from './retry.processor';
import { TransactionHostRef } from './transaction-host.ref';
import { WEBHOOK_TRANSPORT } from './webhook-transport.token';

/** A part that runs between `start()` and `stop()`. */
interface Startable {
  start(): void | Promise<void>;
  stop(): Promise<void>;
}

/** A part that has started, and how to stop it. */
interface Started {
  name: string;
  stop(): unknown;
}

/**
 * Starts and stops everything of the module that runs in the background, in one place: started when the app has
 * bootstrapped, in the order of {@link start}, and stopped before the app shuts down (while the host app's
 * database connections are still open), in the reverse order. A step that fails to start stops the steps started
 * before it, and the start-up fails with its error.
 */
@Injectable()
export class WebhookRuntimeHost implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(WebhookRuntimeHost.name);
  /** What has started, in order: stopped from the last. */
  private readonly started: Started[] = [];
  /** Whether the engine and the transport are in {@link started} (or {@link stop} has stopped them without a start). */
  private startedOnce = false;

  constructor(
    @InjectWebhookConfig() private readonly config: Pick<WebhookConfig, 'shutdown_timeout_seconds'>,
    @Inject(TransactionHostRef) private readonly transactions: Pick<TransactionHostRef, 'resolve'>,
    @Inject(WEBHOOK_STORE_SIGNALS) private readonly signals: StoreSignals | null,
    @Inject(SubscriptionCache) private readonly cache: Startable & Pick<SubscriptionCache, 'refresh'>,
    @Inject(WEBHOOK_TRANSPORT) private readonly transport: Pick<WebhookTransport, 'close'>,
    @Inject(DeliveryEngine) private readonly engine: Pick<DeliveryEngine, 'wake' | 'stop'>,
    @Inject(HostSchedulerRegistry) private readonly scheduler: Pick<HostSchedulerRegistry, 'lookUp'>,
    @Inject(RetryProcessor) private readonly retry: Startable,
    @Inject(RetentionProcessor) private readonly retention: Startable,
  ) {}

  /** Nest calls this once every module's providers exist: see {@link start}. */
  onApplicationBootstrap(): Promise<void> {
    return this.start();
  }

  /** Nest calls this on `app.close()`, before any `onApplicationShutdown` (the app's DataSource is still open): see {@link stop}. */
  beforeApplicationShutdown(): Promise<void> {
    return this.stop();
  }

  /**
   * The transaction host is looked up (a check: nothing to stop); the store signals start (committed deliveries
   * wake the engine, subscription changes refresh the cache), then the subscription cache, the HTTP transport
   * (ready as built: closed after the engine), the delivery engine (work left by an earlier run or another replica
   * starts at once), and last the cron jobs: retry, then retention.
   */
  async start(): Promise<void> {
    await this.step('transaction host', () => this.transactions.resolve(), () => undefined);
    await this.step(
      'store signals',
      () => this.signals?.start({ deliveriesDue: () => this.engine.wake(), subscriptionsChanged: () => this.cache.refresh() }),
      () => this.signals?.stop(),
    );
    await this.step('subscription cache', () => this.cache.start(), () => this.cache.stop());
    await this.step('HTTP transport', () => undefined, () => this.transport.close());
    await this.step('delivery engine', () => this.engine.wake(), () => this.engine.stop(this.config.shutdown_timeout_seconds * 1000));
    this.startedOnce = true;
    await this.step('scheduler registry', () => this.scheduler.lookUp(), () => undefined);
    await this.step('retry job', () => this.retry.start(), () => this.retry.stop());
    await this.step('retention job', () => this.retention.start(), () => this.retention.stop());
  }

  /**
   * Stops what started, from the last: the cron jobs (the retry job stops the engine's claims first), the engine
   * (sends in flight get `shutdown_timeout_seconds`, then are aborted and their leases released), the HTTP
   * transport's connections, the subscription cache, the store signals. Every part is stopped even when one fails;
   * the first failure is thrown at the end. Calling it again stops nothing more.
   */
  async stop(): Promise<void> {
    if (!this.startedOnce) {
      // Not started as far as the engine (a testing module compiled and closed without init, or a start that
      // failed before the engine's step): the engine and the transport exist from construction and may hold
      // timers or sockets (a dispatch sends without a start), so they are stopped all the same.
      this.startedOnce = true;
      if (!this.started.some((part) => part.name === 'HTTP transport')) this.started.push({ name: 'HTTP transport', stop: () => this.transport.close() });
      this.started.push({ name: 'delivery engine', stop: () => this.engine.stop(this.config.shutdown_timeout_seconds * 1000) });
    }
    let failure: { error: unknown } | null = null;
    for (let part = this.started.pop(); part; part = this.started.pop()) {
      try {
        await part.stop();
      } catch (error) {
        this.logger.error(`stopping the ${part.name} failed: ${(error as Error)?.message ?? error}`);
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  /** Starts one part; if it fails, stops those started before it and throws its error. */
  private async step(name: string, start: () => unknown, stop: () => unknown): Promise<void> {
    try {
      await start();
    } catch (err) {
      this.logger.error(`starting the ${name} failed: ${(err as Error)?.message ?? err}; stopping what had started`);
      await this.stop().catch(() => undefined);
      throw err;
    }
    this.started.push({ name, stop });
  }
}
