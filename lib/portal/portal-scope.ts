import { Injectable } from '@nestjs/common';
import type { WebhookDeliveryStore, WebhookSubscriptionStore } from '../domain/stores';
import type { DeliveryAttempt, WebhookSubscription } from '../domain/types';
import { DeliveryAttemptNotFoundError, SubscriptionNotFoundError } from '../domain/webhook.error';
import { validationFailure } from '../admin/validation-failure';
import { compareAttemptsNewestFirst } from '../stores/store.utils';
import { InjectWebhookDeliveryStore, InjectWebhookSubscriptionStore } from '../webhook.constants';

/** Subscriptions read per page when listing a tenant's ids. */
const ID_PAGE = 500;
/** Per-subscription reads in flight at once when a tenant-wide list merges them. */
const READS_AT_ONCE = 8;
/**
 * Largest `offset` of a tenant-wide list: each endpoint's log is read up to `offset + limit` rows to merge them, so
 * deep pages go by the `X-Next-Cursor` cursor (or one endpoint's `subscription_id`), whose pages cost the same.
 */
export const PORTAL_MERGED_MAX_OFFSET = 1000;

/**
 * What a portal session may touch: its tenant's subscriptions and their attempts. Anything else is reported
 * exactly as an unknown id would be (the same error, so the same 404 body), so a tenant cannot learn that another
 * tenant's id exists.
 */
@Injectable()
export class PortalScope {
  constructor(
    @InjectWebhookSubscriptionStore() private readonly subscriptions: WebhookSubscriptionStore,
    @InjectWebhookDeliveryStore() private readonly deliveries: WebhookDeliveryStore,
  ) {}

  /** The subscription `id` of `tenant`; {@link SubscriptionNotFoundError} when unknown or another tenant's. */
  async subscription(tenant: string, id: string): Promise<WebhookSubscription> {
    const sub = await this.subscriptions.get(id);
    if (!sub || sub.tenant_id !== tenant) throw new SubscriptionNotFoundError(id);
    return sub;
  }

  /** Whether `id` is one of `tenant`'s subscriptions. */
  async owns(tenant: string, id: string): Promise<boolean> {
    const sub = await this.subscriptions.get(id);
    return sub !== null && sub.tenant_id === tenant;
  }

  /** The attempt `attemptId` of one of `tenant`'s subscriptions; {@link DeliveryAttemptNotFoundError} otherwise. */
  async attempt(tenant: string, attemptId: string): Promise<DeliveryAttempt> {
    const attempt = await this.deliveries.getAttempt(attemptId);
    if (!attempt || !(await this.owns(tenant, attempt.subscription_id))) throw new DeliveryAttemptNotFoundError(attemptId);
    return attempt;
  }

  /** The ids of every subscription of `tenant`, active or not. */
  async subscriptionIds(tenant: string): Promise<string[]> {
    const ids: string[] = [];
    let after: WebhookSubscription | undefined;
    for (;;) {
      const page = await this.subscriptions.list({ tenant_id: tenant, active_only: false, limit: ID_PAGE, after: after && { created_at: after.created_at, subscription_id: after.subscription_id } });
      ids.push(...page.map((s) => s.subscription_id));
      if (page.length < ID_PAGE) return ids;
      after = page[page.length - 1];
    }
  }

  /**
   * One page of a log (attempts or dead letters) across every subscription of `tenant`, newest first:
   * `read(subscription_id, n)` returns the first `n` of one subscription's log with the page's filters and cursor,
   * and the page is the `[offset, offset + limit)` of their merge, in the store's own order.
   */
  async mergedLog(tenant: string, limit: number, offset: number, read: (subscriptionId: string, n: number) => Promise<DeliveryAttempt[]>): Promise<DeliveryAttempt[]> {
    if (offset > PORTAL_MERGED_MAX_OFFSET) {
      throw validationFailure('offset', `offset may be at most ${PORTAL_MERGED_MAX_OFFSET} across all endpoints: page on with the X-Next-Cursor cursor, or list one endpoint with subscription_id`);
    }
    const ids = await this.subscriptionIds(tenant);
    const all: DeliveryAttempt[] = [];
    for (let i = 0; i < ids.length; i += READS_AT_ONCE) {
      const parts = await Promise.all(ids.slice(i, i + READS_AT_ONCE).map((id) => read(id, offset + limit)));
      for (const part of parts) all.push(...part);
    }
    return all.sort(compareAttemptsNewestFirst).slice(offset, offset + limit);
  }
}
