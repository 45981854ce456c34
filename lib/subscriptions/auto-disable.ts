import { Inject, Injectable, Logger } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import type { WebhookOutcome } from '../domain/outcome';
import type { DeliveryLog, WebhookSubscriptionStore } from '../domain/stores';
import type { WebhookSubscription } from '../domain/types';
import { InjectWebhookConfig, InjectWebhookDeliveryStore, InjectWebhookSubscriptionStore } from '../webhook.constants';
import { FailureWarnings } from './failure-warnings';
import { SubscriptionCache } from './subscription-cache';

/**
 * Turns endpoints off when their answers say so: at once on a 410 Gone, and when failures within
 * `failure_window_hours`, with no success between, reach `disable_after_consecutive_failures` (0 = never). The
 * subscription becomes inactive with a `disabled_reason`; `activate()` turns it back on. Before that, the run
 * reaching 50% and 90% of the threshold publishes a `subscription_failing` outcome and logs a warning, once per
 * level and run.
 */
@Injectable()
export class AutoDisable {
  private readonly logger = new Logger(AutoDisable.name);
  private readonly warnings = new FailureWarnings();

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @InjectWebhookDeliveryStore() private readonly log: Pick<DeliveryLog, 'recentFailureRun'>,
    @InjectWebhookSubscriptionStore() private readonly subscriptions: WebhookSubscriptionStore,
    @Inject(SubscriptionCache) private readonly cache: SubscriptionCache,
  ) {}

  /** The receiver answered 410 Gone: it asks us to stop. */
  gone(subscription: WebhookSubscription, at: Date): Promise<WebhookOutcome[]> {
    return this.disable(subscription, `receiver answered 410 Gone at ${at.toISOString()}`);
  }

  /** An attempt failed: warn when the run of failures reached a level, disable the endpoint when it reached the threshold. */
  async failed(subscription: WebhookSubscription, at: Date): Promise<WebhookOutcome[]> {
    const threshold = this.config.disable_after_consecutive_failures;
    if (threshold <= 0) return [];
    const since = new Date(at.getTime() - this.config.failure_window_hours * 3_600_000);
    const { failures, last_success_at } = await this.log.recentFailureRun(subscription.subscription_id, since);
    if (failures >= threshold) {
      this.warnings.forget(subscription.subscription_id);
      return this.disable(subscription, `${failures} consecutive failures within ${this.config.failure_window_hours}h (disable_after_consecutive_failures=${threshold})`);
    }
    return this.warnings.reached(subscription.subscription_id, last_success_at?.getTime() ?? 0, failures, threshold).map((level) => {
      this.logger.warn(
        `subscription ${subscription.subscription_id} is failing: ${failures} consecutive failures, ${level}% of disable_after_consecutive_failures (${threshold}), at which it will be disabled`,
      );
      return { type: 'subscription_failing', subscription_id: subscription.subscription_id, consecutive_failures: failures, threshold, level };
    });
  }

  private async disable(subscription: WebhookSubscription, reason: string): Promise<WebhookOutcome[]> {
    const current = await this.subscriptions.get(subscription.subscription_id);
    if (!current || !current.active) return [];
    const disabled = await this.subscriptions.update({ ...current, active: false, disabled_reason: reason });
    this.cache.changed(subscription.subscription_id, disabled);
    this.logger.warn(`subscription ${subscription.subscription_id} disabled: ${reason}`);
    return [{ type: 'subscription_disabled', subscription_id: subscription.subscription_id, reason }];
  }
}
