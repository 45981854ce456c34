import { Inject, Injectable } from '@nestjs/common';
import type { WebhookConfig } from '../config/webhook-config';
import type { PortalRevocationStore } from '../domain/portal-revocations';
import { InjectWebhookConfig } from '../webhook.constants';
import { WEBHOOK_PORTAL_REVOCATIONS } from '../webhook-stores';
import { normalizePortalPrefix, PORTAL_DEFAULT_EXPIRES_IN_SECONDS, PORTAL_MAX_EXPIRES_IN_SECONDS } from './portal.constants';
import { InvalidPortalSessionError } from './portal.errors';
import { portalSigningKey, PORTAL_TENANT_ID_MAX_LENGTH, readPortalToken, signPortalToken, type PortalTokenClaims } from './portal-token';

/** Arguments of {@link WebhookPortalService.createSession}. */
export interface CreatePortalSessionInput {
  /** The tenant whose endpoints the session sees (`WebhookSubscription.tenant_id`). Required. */
  tenant_id: string;
  /** Lifetime, whole seconds, 1 to 604800 (7 days). Default 3600. */
  expires_in_seconds?: number;
  /** True: the session can look but not change anything (every non-GET route is a 403). Default false. */
  read_only?: boolean;
}

/** A portal session: the link to hand to the customer, its token, and when it ends. */
export interface PortalSession {
  /** `<portal_base_url>/<portal_prefix>/ui#token=<token>` (a path without `portal_base_url`). */
  url: string;
  /** The bearer token of the tenant API. */
  token: string;
  /** When the token stops working. */
  expires_at: Date;
}

/** Why a token was refused: `invalid` (not one of ours, tampered) or `expired` (expired or revoked). */
export type PortalTokenCheck = { ok: true; claims: PortalTokenClaims } | { ok: false; reason: 'invalid' | 'expired' };

/**
 * Sessions of the customer portal (`enable_portal`): signed, self-contained tokens for one tenant, and their
 * revocation through a per-tenant cut-off in the store, which every replica reads.
 */
@Injectable()
export class WebhookPortalService {
  private readonly key: Buffer;

  /** @internal Made by Nest's injector; its parameters are the module's internals. */
  constructor(
    @InjectWebhookConfig() private readonly config: WebhookConfig,
    @Inject(WEBHOOK_PORTAL_REVOCATIONS) private readonly revocations: PortalRevocationStore,
  ) {
    this.key = portalSigningKey(config.portal_secret ?? '');
  }

  /** Issues a session for `tenant_id`; throws {@link InvalidPortalSessionError} naming a bad argument. */
  async createSession(input: CreatePortalSessionInput): Promise<PortalSession> {
    if (typeof input !== 'object' || input === null) throw new InvalidPortalSessionError('tenant_id', 'is required: createSession({ tenant_id })');
    const tenant = checkTenant(input.tenant_id);
    const seconds = input.expires_in_seconds ?? PORTAL_DEFAULT_EXPIRES_IN_SECONDS;
    if (!Number.isInteger(seconds) || seconds < 1 || seconds > PORTAL_MAX_EXPIRES_IN_SECONDS) {
      throw new InvalidPortalSessionError('expires_in_seconds', `must be a whole number of seconds from 1 to ${PORTAL_MAX_EXPIRES_IN_SECONDS} (7 days), got ${String(seconds)}`);
    }
    if (input.read_only !== undefined && typeof input.read_only !== 'boolean') throw new InvalidPortalSessionError('read_only', 'must be true or false');
    // A session issued in the same millisecond as a revocation, after it, must survive it: issue it after the cut-off.
    const cutoff = await this.revocations.cutoff(tenant);
    const issued = Math.max(Date.now(), cutoff === null ? 0 : cutoff + 1);
    const claims: PortalTokenClaims = { tenant_id: tenant, issued_at: issued, expires_at: issued + seconds * 1000, read_only: input.read_only === true };
    const token = signPortalToken(claims, this.key);
    const base = (this.config.portal_base_url ?? '').replace(/\/+$/, '');
    return { url: `${base}/${normalizePortalPrefix(this.config.portal_prefix)}/ui#token=${token}`, token, expires_at: new Date(claims.expires_at) };
  }

  /** Ends every session issued to `tenant_id` until now, on every replica sharing the store. */
  async revokeSessions(tenant_id: string): Promise<void> {
    const tenant = checkTenant(tenant_id);
    // Sessions issued after the last revocation carry at least its cut-off + 1, maybe ahead of the clock: move past it.
    const cutoff = await this.revocations.cutoff(tenant);
    await this.revocations.revoke(tenant, Math.max(Date.now(), cutoff === null ? 0 : cutoff + 1));
  }

  /** Checks a bearer token: signature, expiry, then the tenant's revocation cut-off. */
  async verify(token: string): Promise<PortalTokenCheck> {
    const claims = readPortalToken(token, this.key);
    if (!claims) return { ok: false, reason: 'invalid' };
    if (claims.expires_at <= Date.now()) return { ok: false, reason: 'expired' };
    const cutoff = await this.revocations.cutoff(claims.tenant_id);
    if (cutoff !== null && claims.issued_at <= cutoff) return { ok: false, reason: 'expired' };
    return { ok: true, claims };
  }
}

function checkTenant(tenant: unknown): string {
  if (typeof tenant !== 'string' || tenant.trim() === '') throw new InvalidPortalSessionError('tenant_id', 'is required: the non-empty id of the tenant whose endpoints the session shows');
  if (tenant.length > PORTAL_TENANT_ID_MAX_LENGTH) throw new InvalidPortalSessionError('tenant_id', `must be at most ${PORTAL_TENANT_ID_MAX_LENGTH} characters`);
  return tenant;
}
