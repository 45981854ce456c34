import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import { InjectWebhookConfig } from '../webhook.constants';
import { CronTask } from './cron-task';
import { DeliveryWorker } from './delivery.worker';
import { HostSchedulerRegistry } from './host-scheduler-registry';

/**
 * On `retry_cron` (every second by default), claims retries that came due and deliveries whose lease expired
 * because a process died. Dispatch and in-process retry timers wake the engine sooner; this tick is what makes
 * the store, not process memory, the source of truth.
 */
@Injectable()
export class RetryProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly task: CronTask;

  constructor(
    @InjectWebhookConfig() config: WebhookConfig,
    @Inject(HostSchedulerRegistry) registry: HostSchedulerRegistry,
    @Inject(DeliveryWorker) private readonly worker: DeliveryWorker,
  ) {
    this.task = new CronTask(registry, `webhooks.retry.${worker.workerId}`, config.retry_cron, () => worker.engine.poll(), new Logger(RetryProcessor.name));
  }

  onApplicationBootstrap(): void {
    this.task.start();
  }

  async onModuleDestroy(): Promise<void> {
    // Stop claiming first: the tick being awaited is a claim round, which would otherwise keep claiming new work.
    await this.worker.engine.stopClaiming();
    await this.task.stop();
  }
}
