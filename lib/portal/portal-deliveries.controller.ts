import { Body, Get, HttpCode, HttpStatus, Inject, Param, Post, Query, Res } from '@nestjs/common';
import { attemptCursor, parseAttemptCursor, setNextCursor } from '../admin/admin-cursor';
import { attemptQueryOf, WebhookAdminDeliveriesController } from '../admin/admin-deliveries.controller';
import { toAttemptView, type AttemptDetailView, type DeliveryAttemptView } from '../admin/admin.views';
import { ListDeadLettersQueryDto, ListDeliveriesQueryDto, RedriveDto } from '../admin/dto/delivery.dto';
import type { PaginationQueryDto } from '../admin/dto/pagination.dto';
import { validationFailure } from '../admin/validation-failure';
import type { WebhookDeliveryStore, WebhookSubscriptionStore } from '../domain/stores';
import type { DeliveryAttempt } from '../domain/types';
import { WebhookDeliveryService } from '../delivery/webhook-delivery.service';
import { InjectWebhookDeliveryStore, InjectWebhookSubscriptionStore } from '../webhook.constants';
import { PortalScope } from './portal-scope';
import { PortalSession, type PortalRequestSession } from './portal-session';

/**
 * The tenant's attempt log, redelivery, and dead letters of one endpoint: the admin routes, limited to the
 * session's tenant. A `subscription_id` filter naming another tenant's subscription lists nothing, as an unknown id
 * does; without one, the lists merge the tenant's subscriptions' logs.
 */
export class WebhookPortalDeliveriesController {
  private readonly admin: WebhookAdminDeliveriesController;

  constructor(
    @Inject(WebhookDeliveryService) delivery: WebhookDeliveryService,
    @InjectWebhookDeliveryStore() private readonly deliveries: WebhookDeliveryStore,
    @InjectWebhookSubscriptionStore() subscriptions: WebhookSubscriptionStore,
    @Inject(PortalScope) private readonly scope: PortalScope,
  ) {
    this.admin = new WebhookAdminDeliveriesController(delivery, deliveries, subscriptions);
  }

  /** As admin `GET deliveries`: newest first, `X-Next-Cursor` paging, the same filters. */
  @Get('deliveries')
  async list(@PortalSession() session: PortalRequestSession, @Query() query: ListDeliveriesQueryDto, @Res({ passthrough: true }) res: unknown): Promise<DeliveryAttemptView[]> {
    if (query.subscription_id !== undefined) return (await this.scope.owns(session.tenant_id, query.subscription_id)) ? this.admin.list(query, res) : [];
    const filters = attemptQueryOf(query);
    return this.mergedPage(session, query, res, (subscription_id, n, before) => this.deliveries.getAttempts({ ...filters, subscription_id, limit: n, offset: 0, before }));
  }

  @Get('deliveries/:attempt_id')
  async get(@PortalSession() session: PortalRequestSession, @Param('attempt_id') attemptId: string): Promise<AttemptDetailView> {
    await this.scope.attempt(session.tenant_id, attemptId);
    return this.admin.get(attemptId);
  }

  @Post('deliveries/:attempt_id/redeliver')
  @HttpCode(HttpStatus.ACCEPTED)
  async redeliver(@PortalSession() session: PortalRequestSession, @Param('attempt_id') attemptId: string): Promise<{ status: 'queued' }> {
    await this.scope.attempt(session.tenant_id, attemptId);
    return this.admin.redeliver(attemptId);
  }

  /** As admin `GET dead-letters`, of the tenant's subscriptions. */
  @Get('dead-letters')
  async deadLetters(@PortalSession() session: PortalRequestSession, @Query() query: ListDeadLettersQueryDto, @Res({ passthrough: true }) res: unknown): Promise<DeliveryAttemptView[]> {
    if (query.subscription_id !== undefined) return (await this.scope.owns(session.tenant_id, query.subscription_id)) ? this.admin.deadLetters(query, res) : [];
    return this.mergedPage(session, query, res, (subscription_id, n, before) => this.deliveries.getDeadLetters({ subscription_id, limit: n, offset: 0, before }));
  }

  /**
   * One page of a log across every subscription of the session's tenant, as the admin lists page theirs: `limit`
   * (default 100), `offset`, and the `X-Next-Cursor` cursor; `read` is one subscription's first `n` rows before it.
   */
  private async mergedPage(
    session: PortalRequestSession,
    query: PaginationQueryDto,
    res: unknown,
    read: (subscriptionId: string, n: number, before: ReturnType<typeof parseAttemptCursor>) => Promise<DeliveryAttempt[]>,
  ): Promise<DeliveryAttemptView[]> {
    const limit = query.limit ?? 100;
    const before = parseAttemptCursor(query.cursor);
    const page = await this.scope.mergedLog(session.tenant_id, limit, query.offset ?? 0, (subscription_id, n) => read(subscription_id, n, before));
    setNextCursor(res, attemptCursor(page, limit));
    return page.map(toAttemptView);
  }

  /** As admin `POST dead-letters/redrive`, for one of the tenant's subscriptions (`subscription_id` required). */
  @Post('dead-letters/redrive')
  @HttpCode(HttpStatus.OK)
  async redrive(@PortalSession() session: PortalRequestSession, @Body() body: RedriveDto): Promise<{ requeued: number }> {
    if (body.subscription_id === undefined || body.subscription_id === null) throw validationFailure('subscription_id', 'subscription_id is required: the portal redrives one endpoint at a time');
    await this.scope.subscription(session.tenant_id, body.subscription_id);
    return this.admin.redrive(body);
  }
}
