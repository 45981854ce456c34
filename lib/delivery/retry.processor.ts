import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { WebhookConfig } from '../config/webhook-config';
import { InjectWebhookConfig } from '../webhook.constants';
import { DeliveryWorker } from './delivery.worker';
import { PeriodicTask } from './periodic-task';

/**
 * Every `retry_poll_interval_ms`, picks up retries that came due and deliveries whose lease expired because
 * a process died. Dispatch and in-process retry timers wake the worker sooner; this is what makes the store,
 * not process memory, the source of truth.
 */
@Injectable()
export class RetryProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly task: PeriodicTask;

  constructor(
    @InjectWebhookConfig() config: WebhookConfig,
    @Inject(SchedulerRegistry) registry: SchedulerRegistry,
    @Inject(DeliveryWorker) private readonly worker: DeliveryWorker,
  ) {
    this.task = new PeriodicTask(registry, `webhooks.retry.${worker.workerId}`, config.retry_poll_interval_ms, () => worker.pump(), new Logger(RetryProcessor.name));
  }

  onApplicationBootstrap(): void {
    this.task.start();
    // Work left by an earlier run (or another replica) starts now, not one interval later.
    this.worker.wake();
  }

  async onModuleDestroy(): Promise<void> {
    // Stop claiming first: the tick being awaited is a pump, which would otherwise keep claiming new work.
    this.worker.stopClaiming();
    await this.task.stop();
  }
}
