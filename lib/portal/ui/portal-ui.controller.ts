import { Get, Header, Inject, Res } from '@nestjs/common';
import type { PortalPage } from './portal-page';
import { PORTAL_PAGE } from './portal-page.token';

/**
 * Serves the customer portal page at `GET ui`. It has no path of its own: the module routes it under the portal
 * prefix. The page holds no data (the session token travels in the URL fragment, which never reaches a server), so
 * the route needs no guard. No `X-Frame-Options`: who may embed the page is the CSP's `frame-ancestors`.
 */
export class PortalUiController {
  constructor(@Inject(PORTAL_PAGE) private readonly page: PortalPage) {}

  @Get('ui')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  ui(@Res({ passthrough: true }) res: unknown): string {
    // Express has setHeader(), Fastify's reply header().
    const r = res as { setHeader?: (name: string, value: string) => void; header?: (name: string, value: string) => void };
    if (typeof r.setHeader === 'function') r.setHeader('Content-Security-Policy', this.page.csp);
    else r.header?.('Content-Security-Policy', this.page.csp);
    return this.page.html;
  }
}
