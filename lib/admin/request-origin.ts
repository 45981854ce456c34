import { canonicalOrigin, type RequestHeaders } from './csrf';

/** What {@link requestOrigin} reads of an Express or Fastify request. */
export interface OriginRequest {
  headers: RequestHeaders;
  /** Express and Fastify: `http`/`https`, from `X-Forwarded-Proto` only when the app trusts the proxy. */
  protocol?: unknown;
  /** Express 5 and Fastify 5: the `Host` (with port), from `X-Forwarded-Host` only when the app trusts the proxy. */
  host?: unknown;
  socket?: { encrypted?: boolean } | null;
}

/**
 * The origin (`scheme://host[:port]`) the client reached this server at: the request's protocol and `Host`
 * header. Behind a reverse proxy that changes either, the framework's own setting decides whether
 * `X-Forwarded-Proto` and `X-Forwarded-Host` count (Express `app.set('trust proxy', ...)`, Fastify
 * `trustProxy`), so a client cannot claim another origin unless the app trusts its proxy. null when the
 * request has no usable `Host`.
 */
export function requestOrigin(req: OriginRequest): string | null {
  const protocol = typeof req.protocol === 'string' && req.protocol ? req.protocol : req.socket?.encrypted ? 'https' : 'http';
  const host = typeof req.host === 'string' && req.host ? req.host : req.headers.host;
  if (typeof host !== 'string' || host === '' || /[/?#@\\]/.test(host)) return null;
  return canonicalOrigin(`${protocol}://${host}`);
}
