import type { Provider, Type } from '@nestjs/common';
import { WebhookAdminDashboardController } from './admin-dashboard.controller';
import { WebhookAdminDeliveriesController } from './admin-deliveries.controller';
import { WebhookAdminEventTypesController } from './admin-event-types.controller';
import { WebhookAdminStatsController } from './admin-stats.controller';
import { WebhookAdminGuard } from './admin.guard';
import { normalizeAdminPrefix } from './admin.prefix';
import { WebhookAdminStartupCheck } from './admin.startup-check';
import { WebhookAdminSubscriptionsController } from './admin-subscriptions.controller';
import { routedControllers } from './routed-controllers';

/** Providers the admin controllers need (registered only with enable_admin). */
export const WEBHOOK_ADMIN_PROVIDERS: Provider[] = [WebhookAdminGuard, WebhookAdminStartupCheck];

const BASES: Array<Type<object>> = [
  WebhookAdminSubscriptionsController,
  WebhookAdminStatsController,
  WebhookAdminDeliveriesController,
  WebhookAdminEventTypesController,
  WebhookAdminDashboardController,
];

/** The admin controllers, routed under `prefix` with the admin guard (see {@link routedControllers}). */
export function createWebhookAdminControllers(prefix: string): Type[] {
  return routedControllers(BASES, normalizeAdminPrefix(prefix), WebhookAdminGuard);
}
