/**
 * Injection token of the rendered portal page, `{ html, csp }` (a {@link PortalPage}): the module provides it from
 * the resolved config with {@link renderPortalPage}, once at start-up, and `PortalUiController` serves it.
 */
export const PORTAL_PAGE = Symbol('WEBHOOK_PORTAL_PAGE');
