import { Body, Delete, Get, HttpCode, HttpStatus, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { WebhookSubscriptionService } from '../subscriptions/webhook-subscription.service';
import { parseSubscriptionCursor, setNextCursor, subscriptionCursor } from './admin-cursor';
import { toSubscriptionView, type SubscriptionView } from './admin.views';
import { CreateSubscriptionDto, ListSubscriptionsQueryDto, UpdateSubscriptionDto } from './dto/subscription.dto';

/**
 * Subscription routes of the admin API (routed under the admin prefix by `WebhookModule`). Secrets appear
 * only in the create and rotate-secret responses; every other response masks them.
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
    const sub = await this.subscriptions.create({
      url: body.url,
      event_types: body.event_types,
      description: body.description,
      tenant_id: body.tenant_id,
      metadata: body.metadata,
    });
    return toSubscriptionView(sub, true);
  }

  @Get('subscriptions/:id')
  async get(@Param('id') id: string): Promise<SubscriptionView> {
    return toSubscriptionView(await this.subscriptions.get(id));
  }

  @Patch('subscriptions/:id')
  async update(@Param('id') id: string, @Body() body: UpdateSubscriptionDto): Promise<SubscriptionView> {
    const sub = await this.subscriptions.update(id, {
      url: body.url,
      event_types: body.event_types,
      description: body.description,
      metadata: body.metadata,
    });
    return toSubscriptionView(sub);
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

  /** Returns the new secret, once; the previous one keeps signing for `secret_rotation_grace_hours`. */
  @Post('subscriptions/:id/rotate-secret')
  @HttpCode(HttpStatus.OK)
  async rotateSecret(@Param('id') id: string): Promise<SubscriptionView> {
    return toSubscriptionView(await this.subscriptions.rotateSecret(id), true);
  }
}
