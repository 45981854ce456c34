import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import type { DeliveryRetention, WebhookSubscriptionStore } from '../domain/stores';
import { InjectWebhookConfig, InjectWebhookDeliveryStore, InjectWebhookSubscriptionStore } from '../webhook.constants';
import { CronTask } from './cron-task';
import { DeliveryEngine } from './engine/delivery-engine';
import { HostSchedulerRegistry } from './host-scheduler-registry';

/** How long the subscription change log is kept: processes follow it every second, or reload. */
const CHANGE_LOG_RETENTION_MS = 86_400_000;

/**
 * On `retention_cron` (hourly by default), purges attempts and finished events older than
 * `delivery_log_retention_days` (0 keeps them), and subscription changes older than a day. The runtime host
 * starts and stops it.
 */
@Injectable()
export class RetentionProcessor {
  private readonly logger = new Logger(RetentionProcessor.name);
  private readonly task: CronTask;

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @InjectWebhookDeliveryStore() private readonly deliveries: DeliveryRetention,
    @InjectWebhookSubscriptionStore() private readonly subscriptions: WebhookSubscriptionStore,
    @Inject(HostSchedulerRegistry) registry: HostSchedulerRegistry,
    @Inject(DeliveryEngine) engine: Pick<DeliveryEngine, 'workerId'>,
  ) {
    this.task = new CronTask(registry, `webhooks.retention.${engine.workerId}`, config.retention_cron, () => this.purge(), this.logger);
  }

  /** Deletes what is older than the retention periods now; returns what was deleted. */
  async purge(now = new Date()): Promise<{ attempts: number; events: number; changes: number }> {
    const changes = await this.subscriptions.purgeChanges(new Date(now.getTime() - CHANGE_LOG_RETENTION_MS));
    if (this.config.delivery_log_retention_days <= 0) return { attempts: 0, events: 0, changes };
    const before = new Date(now.getTime() - this.config.delivery_log_retention_days * 86_400_000);
    const purged = await this.deliveries.purge(before);
    if (purged.attempts || purged.events) this.logger.log(`purged ${purged.attempts} attempts and ${purged.events} events older than ${before.toISOString()}`);
    return { ...purged, changes };
  }

  /** Starts the job (listed in the host's `SchedulerRegistry`, when it has one). */
  start(): void {
    this.task.start();
  }

  /** Stops the job; waits for a purge under way. */
  async stop(): Promise<void> {
    await this.task.stop();
  }
}
