/** Request headers as Node gives them: lower-case names. */
export type RequestHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** Why a state-changing request is refused: 403 for a cross-site request, 415 for a body that is not JSON. */
export interface CrossSiteProblem {
  status: 403 | 415;
  /** A machine-readable name of the refusal. */
  code: 'CROSS_SITE_REQUEST' | 'UNSUPPORTED_MEDIA_TYPE';
  /** What was refused and what to do about it. */
  message: string;
}

/** Methods that change nothing: never checked. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** `application/json` or `application/<anything>+json`, with or without parameters (charset). */
const JSON_TYPE = /^application\/(?:[a-z0-9!#$&^_.-]+\+)?json\s*(?:;.*)?$/i;

const header = (headers: RequestHeaders, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** `scheme://host[:port]` in its canonical form (lower-case host, no default port), or null when not an http(s) origin. */
export function canonicalOrigin(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return /^https?:$/.test(url.protocol) ? url.origin : null;
  } catch {
    return null;
  }
}

/**
 * The cross-site request forgery rule of state-changing routes (every method but GET, HEAD and OPTIONS), after
 * OWASP's "verifying origin with standard headers" (and Go's `http.CrossOriginProtection`). Returns why the
 * request is refused, or null:
 * - an `Origin` in `allowedOrigins` passes the origin checks;
 * - `Sec-Fetch-Site` (which browsers set and pages cannot) decides when present: `same-origin` and `none` pass,
 *   `cross-site` and `same-site` (a sibling subdomain or another port) are refused; the browser knows the page's
 *   origin better than a server behind a proxy does;
 * - otherwise an `Origin` that is not `ownOrigin` (the origin this server is reached at) is refused,
 *   `Origin: null` (sandboxed frames, `data:` pages) included;
 * - a `Content-Type` that is not JSON (`application/json` or `application/*+json`) is refused with 415, and so is
 *   a body without a `Content-Type`: an HTML form can only send `application/x-www-form-urlencoded`,
 *   `multipart/form-data` and `text/plain`, and a page's script cannot send JSON to another origin without a CORS
 *   preflight that the app would have to approve.
 * A request without `Origin` and `Sec-Fetch-Site` (curl, a backend) passes the origin checks: browsers send
 * them, and a client that is not a browser carries no victim's cookies. A request without a body and without a
 * `Content-Type` passes the last. `allowListKey` is the config key named in the message.
 */
export function crossSiteProblem(
  method: string,
  headers: RequestHeaders,
  ownOrigin: string | null,
  allowedOrigins: readonly string[],
  allowListKey = 'admin_allowed_origins',
): CrossSiteProblem | null {
  if (SAFE_METHODS.has(method.toUpperCase())) return null;
  const origin = header(headers, 'origin');
  const canonical = canonicalOrigin(origin);
  const allowListed = canonical !== null && allowedOrigins.some((o) => canonicalOrigin(o) === canonical);
  const site = header(headers, 'sec-fetch-site')?.trim().toLowerCase();
  const browserSays = site === 'same-origin' || site === 'none' ? 'same' : site === 'cross-site' || site === 'same-site' ? 'other' : undefined;

  if (!allowListed && browserSays === 'other') {
    return {
      status: 403,
      code: 'CROSS_SITE_REQUEST',
      message:
        `cross-site request refused: the browser says this ${method.toUpperCase()} came from another site (Sec-Fetch-Site: ${site}` +
        `${origin === undefined ? '' : `, Origin: ${origin}`}); if an admin front end at that origin should call this API, add its origin to ${allowListKey}`,
    };
  }
  if (!allowListed && browserSays === undefined && origin !== undefined && (canonical === null || canonical !== canonicalOrigin(ownOrigin))) {
    return {
      status: 403,
      code: 'CROSS_SITE_REQUEST',
      message:
        `cross-site request refused: Origin ${origin} is not this server's origin (${ownOrigin ?? 'unknown'}); add it to ${allowListKey} if an admin front end there should call this API ` +
        `(behind a proxy that changes the host or protocol, set Express's 'trust proxy' so that X-Forwarded-Host and X-Forwarded-Proto count)`,
    };
  }
  const type = header(headers, 'content-type');
  const length = header(headers, 'content-length');
  const hasBody = header(headers, 'transfer-encoding') !== undefined || (length !== undefined && length.trim() !== '0');
  if (type !== undefined ? !JSON_TYPE.test(type.trim()) : hasBody) {
    return {
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: `unsupported Content-Type ${type === undefined ? '(none, with a body)' : JSON.stringify(type)}: state-changing requests take a JSON body with Content-Type: application/json, or no body and no Content-Type`,
    };
  }
  return null;
}
