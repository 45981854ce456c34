import { HttpException, HttpStatus, Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { crossSiteProblem } from '../admin/csrf';
import { HostGuards } from '../admin/host-guards';
import { requestOrigin, type OriginRequest } from '../admin/request-origin';
import type { WebhookConfig } from '../config/webhook-config';
import { InjectWebhookConfig } from '../webhook.constants';
import { PORTAL_SESSION_KEY, type PortalRequestSession } from './portal-session';
import { isPortalTokenShaped } from './portal-token';
import { WebhookPortalService } from './webhook-portal.service';

/** Methods a read-only session may use. */
const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * What a cross-site caller of the portal API is told: no origin (the server's own can be an internal host behind a
 * proxy) and no operator advice (the portal has no allow-list to add to).
 */
const PORTAL_CROSS_SITE = 'cross-site request refused: the portal API takes state-changing requests from its own page only';

type PortalRequest = OriginRequest & { method: string; [PORTAL_SESSION_KEY]?: PortalRequestSession };

/**
 * The one guard of the portal API. In order: the CSRF rules of the admin routes (both modes); then a bearer token
 * (`Authorization: Bearer <token>` from `createSession`) or, without one, the app's own auth (`portal_guards`
 * all allow, then `portal_tenant_resolver` names the tenant); then read-only sessions get a 403 on anything but
 * GET. 401 bodies say `INVALID_TOKEN`, `SESSION_EXPIRED` (expired or revoked) or `UNAUTHENTICATED`, nothing more.
 */
@Injectable()
export class WebhookPortalGuard implements CanActivate {
  private readonly guards: HostGuards;

  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @Inject(WebhookPortalService) private readonly portal: WebhookPortalService,
    @Inject(ModuleRef) moduleRef: ModuleRef,
  ) {
    this.guards = new HostGuards(moduleRef);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<PortalRequest>();
    const crossSite = crossSiteProblem(req.method, req.headers, requestOrigin(req), []);
    if (crossSite) {
      throw problem(crossSite.status, crossSite.status === 403 ? 'Forbidden' : 'Unsupported Media Type', crossSite.code, crossSite.status === 403 ? PORTAL_CROSS_SITE : crossSite.message);
    }
    const session = await this.authenticate(req, context);
    if (session.read_only && !READ_METHODS.has(req.method.toUpperCase())) {
      throw problem(HttpStatus.FORBIDDEN, 'Forbidden', 'READ_ONLY_SESSION', 'this session is read-only: it can look but not change anything');
    }
    req[PORTAL_SESSION_KEY] = session;
    return true;
  }

  private async authenticate(req: PortalRequest, context: ExecutionContext): Promise<PortalRequestSession> {
    const auth = req.headers.authorization;
    const appAuth = this.config.portal_tenant_resolver !== undefined && this.config.portal_guards.length > 0;
    // With app-auth configured, an Authorization header that is not a portal token (the host's own JWT or Basic
    // credentials) belongs to the host's guards; without it, any Authorization header must be a portal token.
    const bearer = typeof auth === 'string' ? /^Bearer ([^\s]+)$/i.exec(auth.trim())?.[1] : undefined;
    if (auth !== undefined && (!appAuth || (bearer !== undefined && isPortalTokenShaped(bearer)))) {
      const check = bearer !== undefined ? await this.portal.verify(bearer) : { ok: false as const, reason: 'invalid' as const };
      if (check.ok) return { tenant_id: check.claims.tenant_id, read_only: check.claims.read_only, expires_at: new Date(check.claims.expires_at) };
      throw check.reason === 'expired'
        ? problem(HttpStatus.UNAUTHORIZED, 'Unauthorized', 'SESSION_EXPIRED', 'session expired or revoked: ask the app for a new portal link')
        : problem(HttpStatus.UNAUTHORIZED, 'Unauthorized', 'INVALID_TOKEN', 'invalid token');
    }
    const resolver = this.config.portal_tenant_resolver;
    if (!resolver || !appAuth) throw unauthenticated();
    if (!(await this.guards.allow(this.config.portal_guards, context))) throw unauthenticated();
    const tenant = await resolver(req);
    if (typeof tenant !== 'string' || tenant === '') throw unauthenticated();
    return { tenant_id: tenant, read_only: false, expires_at: null };
  }
}

function unauthenticated(): HttpException {
  return problem(HttpStatus.UNAUTHORIZED, 'Unauthorized', 'UNAUTHENTICATED', 'sign in: send Authorization: Bearer <token> from a portal link');
}

function problem(status: HttpStatus, error: string, code: string, message: string): HttpException {
  return new HttpException({ statusCode: status, error, message, code }, status);
}
