import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { WebhookConfig } from '../config/webhook-config';
import type { DeliveryRetention } from '../domain/stores';
import { InjectWebhookConfig, InjectWebhookDeliveryStore } from '../webhook.constants';
import { CronTask } from './cron-task';
import { DeliveryWorker } from './delivery.worker';

/** On `retention_cron` (hourly by default), purges attempts and finished events older than `delivery_log_retention_days` (0 keeps everything). */
@Injectable()
export class RetentionProcessor implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RetentionProcessor.name);
  private readonly task: CronTask | null;

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @InjectWebhookDeliveryStore() private readonly store: DeliveryRetention,
    @Inject(SchedulerRegistry) registry: SchedulerRegistry,
    @Inject(DeliveryWorker) worker: DeliveryWorker,
  ) {
    this.task = config.delivery_log_retention_days > 0 ? new CronTask(registry, `webhooks.retention.${worker.workerId}`, config.retention_cron, () => this.purge(), this.logger) : null;
  }

  /** Deletes what is older than the retention period now; returns what was deleted. */
  async purge(now = new Date()): Promise<{ attempts: number; events: number }> {
    if (this.config.delivery_log_retention_days <= 0) return { attempts: 0, events: 0 };
    const before = new Date(now.getTime() - this.config.delivery_log_retention_days * 86_400_000);
    const purged = await this.store.purge(before);
    if (purged.attempts || purged.events) this.logger.log(`purged ${purged.attempts} attempts and ${purged.events} events older than ${before.toISOString()}`);
    return purged;
  }

  onApplicationBootstrap(): void {
    this.task?.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.task?.stop();
  }
}
