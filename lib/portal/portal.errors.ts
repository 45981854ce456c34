import { WebhookError } from '../domain/webhook.error';

/** `createSession` or `revokeSessions` was called with a bad argument; `field` names it. Nothing was issued or stored. */
export class InvalidPortalSessionError extends WebhookError {
  constructor(
    /** The argument at fault: `tenant_id`, `expires_in_seconds` or `read_only`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field} ${message}`, 'INVALID_PORTAL_SESSION');
  }
}
