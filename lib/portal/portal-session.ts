import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** Who a portal request acts for, as the portal guard established it. */
export interface PortalRequestSession {
  /** The tenant the request is limited to. */
  tenant_id: string;
  /** True: GET routes only (a token created with `read_only`). */
  read_only: boolean;
  /** When the token ends; null in app-auth mode (the app's own session decides). */
  expires_at: Date | null;
}

/** Where the portal guard leaves the session on the request. */
export const PORTAL_SESSION_KEY = '__webhookPortalSession';

/** The session of a portal request (set by `WebhookPortalGuard`, which runs before every portal API route). */
export const PortalSession = createParamDecorator((_: unknown, context: ExecutionContext): PortalRequestSession => {
  const req = context.switchToHttp().getRequest<Record<string, unknown>>();
  return req[PORTAL_SESSION_KEY] as PortalRequestSession;
});
