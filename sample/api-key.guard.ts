import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';

/** The sample's admin API key: set SAMPLE_ADMIN_KEY, or use the printed default. */
export const SAMPLE_ADMIN_KEY = process.env.SAMPLE_ADMIN_KEY ?? 'sample-admin-key';

const COOKIE = 'webhook_admin_key';

interface Req {
  headers: Record<string, string | undefined>;
  query?: Record<string, string | undefined>;
}

/**
 * Protects the webhook admin routes. API clients send `x-api-key: <key>`; a browser opens the dashboard once
 * with `?key=<key>`, which sets an HttpOnly cookie that the page's own API calls then carry. A real app would
 * use its session or token guard here.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const req = http.getRequest<Req>();
    const cookie = new RegExp(`(?:^|;\\s*)${COOKIE}=([^;]+)`).exec(req.headers.cookie ?? '')?.[1];
    const given = req.headers['x-api-key'] ?? (cookie && decodeURIComponent(cookie)) ?? req.query?.key;
    if (given !== SAMPLE_ADMIN_KEY) throw new UnauthorizedException('send x-api-key (see the sample output)');
    if (req.query?.key === SAMPLE_ADMIN_KEY && !cookie) {
      http.getResponse<{ setHeader(name: string, value: string): void }>().setHeader('Set-Cookie', `${COOKIE}=${encodeURIComponent(SAMPLE_ADMIN_KEY)}; Path=/webhooks; HttpOnly; SameSite=Strict`);
    }
    return true;
  }
}
