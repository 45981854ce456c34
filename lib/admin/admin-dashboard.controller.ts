import { Get, Header } from '@nestjs/common';
import { DASHBOARD_CSP, DASHBOARD_HTML } from './dashboard/dashboard.page';

/** Serves the operator dashboard page at `GET /<prefix>/ui`, behind the same guards as the admin API. */
export class WebhookAdminDashboardController {
  @Get('ui')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Content-Security-Policy', DASHBOARD_CSP)
  @Header('Cache-Control', 'no-store')
  @Header('X-Content-Type-Options', 'nosniff')
  @Header('Referrer-Policy', 'no-referrer')
  @Header('X-Frame-Options', 'DENY')
  page(): string {
    return DASHBOARD_HTML;
  }
}
