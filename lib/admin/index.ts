/** Admin API and dashboard (registered by `WebhookModule` with `enable_admin: true`). */
export { WebhookAdminGuard } from './admin.guard';
export { WebhookAdminExceptionFilter, adminStatusOf } from './admin-exception.filter';
export { WebhookAdminValidationPipe } from './admin-validation.pipe';
export { maskHeaderValue, maskSecret, type AdminHealthView, type DeliveryAttemptView, type SubscriptionView } from './admin.views';
export { ADMIN_MAX_PAGE_LIMIT, PaginationQueryDto } from './dto/pagination.dto';
export { NEXT_CURSOR_HEADER } from './admin-cursor';
export { CreateSubscriptionDto, ListSubscriptionsQueryDto, SubscriptionControlsDto, UpdateSubscriptionDto } from './dto/subscription.dto';
export { ListDeadLettersQueryDto, ListDeliveriesQueryDto, RedriveDto } from './dto/delivery.dto';
export { StatsQueryDto } from './dto/stats.dto';
export type { AttemptStatsView, OverallStatsView, SubscriptionStatsView } from './admin-stats.views';
export { SendTestDto } from './dto/test-send.dto';
