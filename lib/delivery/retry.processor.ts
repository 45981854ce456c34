import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import { InjectWebhookConfig } from '../webhook.constants';
import { CronTask } from './cron-task';
import { DeliveryEngine } from './engine/delivery-engine';
import { HostSchedulerRegistry } from './host-scheduler-registry';

/**
 * On `retry_cron` (every second by default), claims retries that came due and deliveries whose lease expired
 * because a process died. Dispatch and in-process retry timers wake the engine sooner; this tick is what makes
 * the store, not process memory, the source of truth. The runtime host starts and stops it.
 */
@Injectable()
export class RetryProcessor {
  private readonly task: CronTask;

  constructor(
    @InjectWebhookConfig() config: WebhookConfig,
    @Inject(HostSchedulerRegistry) registry: HostSchedulerRegistry,
    @Inject(DeliveryEngine) private readonly engine: DeliveryEngine,
  ) {
    this.task = new CronTask(registry, `webhooks.retry.${engine.workerId}`, config.retry_cron, () => engine.poll(), new Logger(RetryProcessor.name));
  }

  /** Starts the job (listed in the host's `SchedulerRegistry`, when it has one). */
  start(): void {
    this.task.start();
  }

  /** Stops the engine's claims, then the job; waits for a tick under way. */
  async stop(): Promise<void> {
    // Stop claiming first: the tick being awaited is a claim round, which would otherwise keep claiming new work.
    await this.engine.stopClaiming();
    await this.task.stop();
  }
}
