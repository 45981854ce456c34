import { applyDecorators, Controller, UseFilters, UseGuards, UsePipes, type Provider, type Type } from '@nestjs/common';
import { WebhookAdminDashboardController } from './admin-dashboard.controller';
import { WebhookAdminDeliveriesController } from './admin-deliveries.controller';
import { WebhookAdminEventTypesController } from './admin-event-types.controller';
import { WebhookAdminExceptionFilter } from './admin-exception.filter';
import { WebhookAdminStatsController } from './admin-stats.controller';
import { WebhookAdminGuard } from './admin.guard';
import { normalizeAdminPrefix } from './admin.prefix';
import { WebhookAdminStartupCheck } from './admin.startup-check';
import { WebhookAdminSubscriptionsController } from './admin-subscriptions.controller';
import { WebhookAdminValidationPipe } from './admin-validation.pipe';

/** Providers the admin controllers need (registered only with enable_admin). */
export const WEBHOOK_ADMIN_PROVIDERS: Provider[] = [WebhookAdminGuard, WebhookAdminStartupCheck];

const BASES: Array<Type<object>> = [
  WebhookAdminSubscriptionsController,
  WebhookAdminStatsController,
  WebhookAdminDeliveriesController,
  WebhookAdminEventTypesController,
  WebhookAdminDashboardController,
];

/**
 * The admin controllers, routed under `prefix`. Each call makes fresh subclasses carrying the route prefix,
 * the admin guard, the error filter and the validation pipe, so apps with different prefixes can coexist in one
 * process and the host app's global pipes are not required.
 */
export function createWebhookAdminControllers(prefix: string): Type[] {
  const path = normalizeAdminPrefix(prefix);
  return BASES.map((Base) => {
    const Routed = class extends Base {};
    Object.defineProperty(Routed, 'name', { value: Base.name });
    applyDecorators(Controller(path), UseGuards(WebhookAdminGuard), UseFilters(WebhookAdminExceptionFilter), UsePipes(new WebhookAdminValidationPipe()))(Routed);
    return Routed;
  });
}
