import { Injectable, UnauthorizedException, type CanActivate, type ExecutionContext } from '@nestjs/common';

/** The sample's admin API key: set SAMPLE_ADMIN_KEY, or use the printed default. */
export const SAMPLE_ADMIN_KEY = process.env.SAMPLE_ADMIN_KEY ?? 'sample-admin-key';

/**
 * Protects the webhook admin routes: requests need `x-api-key: <key>` or `?key=<key>` (the dashboard link uses
 * the query form; a real app would use its own session or token guard here).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = context.switchToHttp().getRequest<{ headers: Record<string, string | undefined>; query: Record<string, string | undefined>; headersSent?: boolean }>();
    const given = req.headers['x-api-key'] ?? req.query?.key;
    if (given !== SAMPLE_ADMIN_KEY) throw new UnauthorizedException('send x-api-key (see the sample output)');
    return true;
  }
}
