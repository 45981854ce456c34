import { Body, Delete, Get, HttpCode, HttpStatus, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { WebhookSubscriptionService, type UpdateSubscriptionInput } from '../subscriptions/webhook-subscription.service';
import { parseSubscriptionCursor, setNextCursor, subscriptionCursor } from './admin-cursor';
import { toAttemptView, toSubscriptionView, type DeliveryAttemptView, type SubscriptionView } from './admin.views';
import { CreateSubscriptionDto, ListSubscriptionsQueryDto, UpdateSubscriptionDto, type SubscriptionControlsDto } from './dto/subscription.dto';
import { SendTestDto } from './dto/test-send.dto';

/** The per-subscription controls of a create or update body, as the service takes them (omitted stays omitted). */
function controlsOf(body: SubscriptionControlsDto): UpdateSubscriptionInput {
  return {
    headers: body.headers,
    filter: body.filter,
    retry_max_attempts: body.retry_max_attempts,
    delivery_timeout_seconds: body.delivery_timeout_seconds,
    max_concurrent_per_endpoint: body.max_concurrent_per_endpoint,
    rate_limit_per_second: body.rate_limit_per_second,
    ordered: body.ordered,
    signature_type: body.signature_type,
  };
}

/**
 * Subscription routes of the admin API (routed under the admin prefix by `WebhookModule`). Secrets appear
 * only in the create and rotate-secret responses (and an update that changes `signature_type`, which replaces the
 * secret); every other response masks them. Public keys (`public_key`) appear everywhere.
 */
export class WebhookAdminSubscriptionsController {
  constructor(@Inject(WebhookSubscriptionService) private readonly subscriptions: WebhookSubscriptionService) {}

  /** Oldest first; the `X-Next-Cursor` header, passed back as `?cursor=`, gives the next page. */
  @Get('subscriptions')
  async list(@Query() query: ListSubscriptionsQueryDto, @Res({ passthrough: true }) res: unknown): Promise<SubscriptionView[]> {
    const limit = query.limit ?? 100;
    const subs = await this.subscriptions.list({
      ...(query.active === undefined ? { active_only: false } : { active: query.active }),
      event_type: query.event_type,
      tenant_id: query.tenant_id,
      limit,
      offset: query.offset ?? 0,
      after: parseSubscriptionCursor(query.cursor),
    });
    setNextCursor(res, subscriptionCursor(subs, limit));
    return subs.map((s) => toSubscriptionView(s));
  }

  @Post('subscriptions')
  @HttpCode(HttpStatus.CREATED)
  async create(@Body() body: CreateSubscriptionDto): Promise<SubscriptionView> {
    const { url, event_types, description, tenant_id, metadata } = body;
    const sub = await this.subscriptions.create({ url, event_types, description, tenant_id, metadata, ...controlsOf(body) });
    return toSubscriptionView(sub, true);
  }

  @Get('subscriptions/:id')
  async get(@Param('id') id: string): Promise<SubscriptionView> {
    return toSubscriptionView(await this.subscriptions.get(id));
  }

  @Patch('subscriptions/:id')
  async update(@Param('id') id: string, @Body() body: UpdateSubscriptionDto): Promise<SubscriptionView> {
    const { url, event_types, description, metadata } = body;
    // A change of signature_type replaces the secret: the response then shows the new one, as rotate-secret does.
    const before = body.signature_type === undefined ? null : (await this.subscriptions.get(id)).secret;
    const sub = await this.subscriptions.update(id, { url, event_types, description, metadata, ...controlsOf(body) });
    return toSubscriptionView(sub, before !== null && sub.secret !== before);
  }

  @Delete('subscriptions/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@Param('id') id: string): Promise<void> {
    await this.subscriptions.delete(id);
  }

  @Post('subscriptions/:id/activate')
  @HttpCode(HttpStatus.OK)
  async activate(@Param('id') id: string): Promise<SubscriptionView> {
    return toSubscriptionView(await this.subscriptions.activate(id));
  }

  @Post('subscriptions/:id/deactivate')
  @HttpCode(HttpStatus.OK)
  async deactivate(@Param('id') id: string): Promise<SubscriptionView> {
    return toSubscriptionView(await this.subscriptions.deactivate(id));
  }

  /**
   * Sends a signed `webhook.test` event to the endpoint now (also when the subscription is inactive) and answers
   * with the finished attempt: `delivered` or `failed`, status code, duration, error. Never retried. With a body
   * `{ event_type }`, sends that catalogued type's example instead (400 when it cannot).
   */
  @Post('subscriptions/:id/test')
  @HttpCode(HttpStatus.OK)
  async test(@Param('id') id: string, @Body() body: SendTestDto): Promise<DeliveryAttemptView> {
    return toAttemptView(await this.subscriptions.sendTest(id, { event_type: body.event_type }));
  }

  /** Returns the new secret, once; the previous one keeps signing for `secret_rotation_grace_hours`. */
  @Post('subscriptions/:id/rotate-secret')
  @HttpCode(HttpStatus.OK)
  async rotateSecret(@Param('id') id: string): Promise<SubscriptionView> {
    return toSubscriptionView(await this.subscriptions.rotateSecret(id), true);
  }
}
