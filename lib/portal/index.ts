/** Customer portal (registered by `WebhookModule` with `enable_portal: true`): sessions and the tenant API. */
export { WebhookPortalService, type CreatePortalSessionInput, type PortalSession, type PortalTokenCheck } from './webhook-portal.service';
export { InvalidPortalSessionError } from './portal.errors';
export { WebhookPortalGuard } from './portal.guard';
export { PORTAL_DEFAULT_EXPIRES_IN_SECONDS, PORTAL_MAX_EXPIRES_IN_SECONDS } from './portal.constants';
export type { PortalRequestSession } from './portal-session';
export type { PortalSubscriptionView } from './portal-rules';
export type { PortalRevocationStore } from '../domain/portal-revocations';
