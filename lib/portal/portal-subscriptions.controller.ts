import { Body, Delete, Get, HttpCode, HttpStatus, Inject, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { WebhookAdminSubscriptionsController } from '../admin/admin-subscriptions.controller';
import type { DeliveryAttemptView } from '../admin/admin.views';
import { CreateSubscriptionDto, ListSubscriptionsQueryDto, UpdateSubscriptionDto } from '../admin/dto/subscription.dto';
import { SendTestDto } from '../admin/dto/test-send.dto';
import { validationFailure } from '../admin/validation-failure';
import { WebhookSubscriptionService } from '../subscriptions/webhook-subscription.service';
import { customerView, refuseOperatorFields, type PortalSubscriptionView } from './portal-rules';
import { PortalScope } from './portal-scope';
import { PortalSession, type PortalRequestSession } from './portal-session';

/**
 * The tenant's subscriptions: the admin routes, run by the admin controller itself once the portal rules hold
 * (the session's tenant only; customer fields only; `metadata` never shown).
 */
export class WebhookPortalSubscriptionsController {
  private readonly admin: WebhookAdminSubscriptionsController;

  constructor(
    @Inject(WebhookSubscriptionService) subscriptions: WebhookSubscriptionService,
    @Inject(PortalScope) private readonly scope: PortalScope,
  ) {
    this.admin = new WebhookAdminSubscriptionsController(subscriptions);
  }

  /** As the admin list, of the session's tenant only; a `tenant_id` naming another tenant is a 400. */
  @Get('subscriptions')
  async list(@PortalSession() session: PortalRequestSession, @Query() query: ListSubscriptionsQueryDto, @Res({ passthrough: true }) res: unknown): Promise<PortalSubscriptionView[]> {
    if (query.tenant_id !== undefined && query.tenant_id !== session.tenant_id) throw validationFailure('tenant_id', 'tenant_id cannot name another tenant: a portal session sees its own tenant only');
    const views = await this.admin.list(Object.assign(new ListSubscriptionsQueryDto(), query, { tenant_id: session.tenant_id }), res);
    return views.map(customerView);
  }

  /** Creates a subscription of the session's tenant (201, secret shown once). */
  @Post('subscriptions')
  @HttpCode(HttpStatus.CREATED)
  async create(@PortalSession() session: PortalRequestSession, @Body() body: CreateSubscriptionDto): Promise<PortalSubscriptionView> {
    if (body.tenant_id !== undefined && body.tenant_id !== session.tenant_id) throw validationFailure('tenant_id', 'tenant_id cannot name another tenant: subscriptions created here belong to the session\'s tenant');
    refuseOperatorFields(body);
    return customerView(await this.admin.create(Object.assign(new CreateSubscriptionDto(), body, { tenant_id: session.tenant_id })));
  }

  @Get('subscriptions/:id')
  async get(@PortalSession() session: PortalRequestSession, @Param('id') id: string): Promise<PortalSubscriptionView> {
    await this.scope.subscription(session.tenant_id, id);
    return customerView(await this.admin.get(id));
  }

  @Patch('subscriptions/:id')
  async update(@PortalSession() session: PortalRequestSession, @Param('id') id: string, @Body() body: UpdateSubscriptionDto): Promise<PortalSubscriptionView> {
    refuseOperatorFields(body);
    await this.scope.subscription(session.tenant_id, id);
    return customerView(await this.admin.update(id, body));
  }

  @Delete('subscriptions/:id')
  @HttpCode(HttpStatus.NO_CONTENT)
  async remove(@PortalSession() session: PortalRequestSession, @Param('id') id: string): Promise<void> {
    await this.scope.subscription(session.tenant_id, id);
    await this.admin.remove(id);
  }

  @Post('subscriptions/:id/activate')
  @HttpCode(HttpStatus.OK)
  async activate(@PortalSession() session: PortalRequestSession, @Param('id') id: string): Promise<PortalSubscriptionView> {
    await this.scope.subscription(session.tenant_id, id);
    return customerView(await this.admin.activate(id));
  }

  @Post('subscriptions/:id/deactivate')
  @HttpCode(HttpStatus.OK)
  async deactivate(@PortalSession() session: PortalRequestSession, @Param('id') id: string): Promise<PortalSubscriptionView> {
    await this.scope.subscription(session.tenant_id, id);
    return customerView(await this.admin.deactivate(id));
  }

  /** As admin: a signed `webhook.test` (or a catalogued example) sent now; the finished attempt. */
  @Post('subscriptions/:id/test')
  @HttpCode(HttpStatus.OK)
  async test(@PortalSession() session: PortalRequestSession, @Param('id') id: string, @Body() body: SendTestDto): Promise<DeliveryAttemptView> {
    await this.scope.subscription(session.tenant_id, id);
    return this.admin.test(id, body);
  }

  /** The new secret, once. */
  @Post('subscriptions/:id/rotate-secret')
  @HttpCode(HttpStatus.OK)
  async rotateSecret(@PortalSession() session: PortalRequestSession, @Param('id') id: string): Promise<PortalSubscriptionView> {
    await this.scope.subscription(session.tenant_id, id);
    return customerView(await this.admin.rotateSecret(id));
  }
}
