/** The customer portal page (routed by `WebhookModule` under `portal_prefix` with `enable_portal: true`). */
export { renderPortalPage, type PortalPage, type PortalPageOptions } from './portal-page';
export { PORTAL_PAGE } from './portal-page.token';
export { PortalUiController } from './portal-ui.controller';
