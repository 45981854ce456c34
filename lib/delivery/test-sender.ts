import { Inject, Injectable } from '@nestjs/common';
import { newId } from '../domain/ids';
import type { DeliveryLog } from '../domain/stores';
import { TEST_EVENT_TYPE, type SubscriptionTestSender, type TestEvent } from '../domain/test-send';
import type { DeliveryAttempt, WebhookSubscription } from '../domain/types';
import type { WebhookConfig } from '../config/webhook-config';
import { InjectWebhookConfig, InjectWebhookDeliveryStore } from '../webhook.constants';
import { AttemptSender } from './engine/attempt-sender';
import { serializeEvent } from './event-serializer';

/**
 * The delivery side of `WebhookSubscriptionService.sendTest` (the {@link SubscriptionTestSender} port): one signed
 * `webhook.test` event (or a catalogued type with its example), sent at once by the same signer and transport as
 * deliveries (the subscription's headers, its timeout, the SSRF guard), outside the queue: not retried, not
 * filtered, not rate-limited, not counted as in flight. The attempt is logged (`DeliveryLog.recordAttempt`) as `delivered` or `failed` with no retry;
 * a failed test counts toward the endpoint's run of failures like any attempt, but never disables it by itself.
 */
@Injectable()
export class WebhookTestSender implements SubscriptionTestSender {
  constructor(
    @InjectWebhookDeliveryStore() private readonly log: Pick<DeliveryLog, 'recordAttempt'>,
    @Inject(AttemptSender) private readonly sender: AttemptSender,
    @InjectWebhookConfig() private readonly config: WebhookConfig,
  ) {}

  async sendTest(subscription: WebhookSubscription, sample?: TestEvent): Promise<DeliveryAttempt> {
    const now = new Date();
    const payload = sample ? sample.payload : { subscription_id: subscription.subscription_id, message: 'Test event: your endpoint is reachable and can verify this signature.' };
    const event_type = sample ? sample.event_type : TEST_EVENT_TYPE;
    const { event } = serializeEvent({ event_id: `test_${newId()}`, event_type, payload, source: 'nestjs-webhooks' }, Infinity, now);
    // A timeout stored above today's ceiling (before it existed) is cut to it, as the engine does.
    const own = subscription.delivery_timeout_seconds;
    const timeoutMs = own == null ? undefined : Math.round(Math.min(own, this.config.delivery_timeout_seconds_ceiling) * 1000);
    const result = await this.sender.send(subscription, event, now, undefined, timeoutMs);
    const attempt: DeliveryAttempt = {
      attempt_id: newId(),
      subscription_id: subscription.subscription_id,
      event_id: event.event_id,
      event_type,
      status: result.ok ? 'delivered' : 'failed',
      status_code: result.status_code,
      attempt_number: 1,
      attempted_at: now,
      next_retry_at: null,
      error_message: result.error_message,
      duration_ms: result.duration_ms,
    };
    await this.log.recordAttempt(attempt);
    return attempt;
  }
}
