import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** What a portal session token carries. */
export interface PortalTokenClaims {
  /** The tenant the session is limited to. */
  tenant_id: string;
  /** Issued at, ms since the epoch (compared with the tenant's revocation cut-off). */
  issued_at: number;
  /** Expires at, ms since the epoch. */
  expires_at: number;
  /** True: GET routes only. */
  read_only: boolean;
}

/** Longest token accepted, characters: anything longer is refused before any work. */
export const PORTAL_TOKEN_MAX_LENGTH = 1024;

/** Longest tenant id a session may carry. */
export const PORTAL_TENANT_ID_MAX_LENGTH = 255;

/** Domain separation: the key derived from `portal_secret` signs portal sessions and nothing else. */
const KEY_LABEL = 'nestjs-webhooks portal session v1';

/** base64url payload, a dot, the base64url HMAC-SHA256 of the payload (32 bytes: 43 characters). */
const TOKEN_SHAPE = /^([A-Za-z0-9_-]{1,900})\.([A-Za-z0-9_-]{43})$/;

/**
 * Whether `token` has the shape of a portal session token (not whether it is valid): a bearer token of another
 * shape (the host app's own JWT, say) is the app's business, for app-auth mode.
 */
export function isPortalTokenShaped(token: string): boolean {
  return token.length <= PORTAL_TOKEN_MAX_LENGTH && TOKEN_SHAPE.test(token);
}

/** The signing key of portal sessions, derived from `portal_secret` with HKDF-SHA256. */
export function portalSigningKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), KEY_LABEL, 32));
}

/** `<base64url JSON claims>.<base64url HMAC-SHA256>` of `claims`. */
export function signPortalToken(claims: PortalTokenClaims, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify({ v: 1, t: claims.tenant_id, iat: claims.issued_at, exp: claims.expires_at, ro: claims.read_only })).toString('base64url');
  return `${payload}.${createHmac('sha256', key).update(payload).digest('base64url')}`;
}

/**
 * The claims of a token this key signed, or null for anything else (wrong shape, too long, a signature that does
 * not match, claims that are not as signed). Never throws; the signature is compared in constant time. Expiry and
 * revocation are the caller's checks.
 */
export function readPortalToken(token: unknown, key: Buffer): PortalTokenClaims | null {
  if (typeof token !== 'string' || token.length > PORTAL_TOKEN_MAX_LENGTH) return null;
  const m = TOKEN_SHAPE.exec(token);
  if (!m) return null;
  // The encoded strings are compared, not the decoded bytes: the last character of 32 bytes in base64url has two
  // bits that decoding ignores, so comparing bytes would accept four spellings of one signature.
  const given = Buffer.from(m[2], 'latin1');
  const expected = Buffer.from(createHmac('sha256', key).update(m[1]).digest('base64url'), 'latin1');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const c = raw as { v?: unknown; t?: unknown; iat?: unknown; exp?: unknown; ro?: unknown } | null;
  if (typeof c !== 'object' || c === null || c.v !== 1) return null;
  if (typeof c.t !== 'string' || c.t.length === 0 || c.t.length > PORTAL_TENANT_ID_MAX_LENGTH) return null;
  if (!Number.isSafeInteger(c.iat) || !Number.isSafeInteger(c.exp) || typeof c.ro !== 'boolean') return null;
  return { tenant_id: c.t, issued_at: c.iat as number, expires_at: c.exp as number, read_only: c.ro };
}
