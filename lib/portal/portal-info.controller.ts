import { Get, Inject, Param, Query } from '@nestjs/common';
import { WebhookAdminEventTypesController } from '../admin/admin-event-types.controller';
import { WebhookAdminStatsController } from '../admin/admin-stats.controller';
import type { SubscriptionStatsView } from '../admin/admin-stats.views';
import { StatsQueryDto } from '../admin/dto/stats.dto';
import { EventCatalog } from '../catalog/event-catalog';
import type { EventTypeDescription } from '../catalog/event-catalog.types';
import { WebhookStatsService } from '../observability/webhook-stats.service';
import { PortalScope } from './portal-scope';
import { PortalSession, type PortalRequestSession } from './portal-session';

/** What the page reads besides subscriptions and attempts: the session, an endpoint's stats, the event catalog. */
export class WebhookPortalInfoController {
  private readonly stats: WebhookAdminStatsController;
  private readonly eventTypes: WebhookAdminEventTypesController;

  constructor(
    @Inject(WebhookStatsService) stats: WebhookStatsService,
    @Inject(EventCatalog) catalog: EventCatalog,
    @Inject(PortalScope) private readonly scope: PortalScope,
  ) {
    this.stats = new WebhookAdminStatsController(stats);
    this.eventTypes = new WebhookAdminEventTypesController(catalog);
  }

  /** `{ tenant_id, read_only, expires_at }` (ISO; null in app-auth mode). */
  @Get('session')
  session(@PortalSession() session: PortalRequestSession): { tenant_id: string; read_only: boolean; expires_at: string | null } {
    return { tenant_id: session.tenant_id, read_only: session.read_only, expires_at: session.expires_at ? session.expires_at.toISOString() : null };
  }

  @Get('subscriptions/:id/stats')
  async subscriptionStats(@PortalSession() session: PortalRequestSession, @Param('id') id: string, @Query() query: StatsQueryDto): Promise<SubscriptionStatsView> {
    await this.scope.subscription(session.tenant_id, id);
    return this.stats.subscription(id, query);
  }

  /** The event catalog, as admin `GET event-types`. */
  @Get('event-types')
  list(): Promise<EventTypeDescription[]> {
    return this.eventTypes.list();
  }
}
