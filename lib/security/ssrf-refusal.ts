/**
 * The SSRF guard's decision and its error: whether a connection to an address, reached by resolving a hostname,
 * may go ahead, and what is said when it may not. The message never names the address, its range or anything DNS
 * answered: whoever can create a subscription would otherwise learn where an internal name points (a DNS oracle).
 * The detail is on the error (`address`, `detail`) for the server log.
 */
import { isIP } from 'node:net';
import { classifyAddress } from './address-policy';
import { parseAllowList, type AllowList } from './allowed-hosts';

/** The two configuration keys the guard reads (a subset of `WebhookConfig`). */
export interface SsrfPolicy {
  /** Turn the guard off entirely (development, or deliveries inside a trusted network). */
  allow_private_urls: boolean;
  /** Exceptions: hostnames (`api.internal`, `*.corp.example`), single IPs or CIDRs (`10.1.0.0/16`, `fd00::/8`). */
  allowed_hosts: string[];
}

/** The `code` of every error the guard raises; see {@link isSsrfError}. */
export const SSRF_ERROR_CODE = 'ERR_WEBHOOK_SSRF';

/**
 * Raised (through the lookup callback or the connector) when a destination is refused. `code` follows Node's
 * `ERR_*` convention so it survives the wrapping HTTP clients do (undici `fetch` puts it in `cause`). The message
 * says only that `hostname` resolves to a private or reserved address, e.g.
 * `"refused: hooks.example resolves to a private or reserved address; set allow_private_urls or add it to allowed_hosts"`;
 * `address` and `detail` say which, for logs only.
 */
export class SsrfBlockedError extends Error {
  /** Always {@link SSRF_ERROR_CODE}. */
  readonly code = SSRF_ERROR_CODE;

  constructor(
    /** What is shown: see {@link refusalMessage}. */
    message: string,
    /** The hostname that was being connected to. */
    readonly hostname: string,
    /** The refused address (for logs: never show it to whoever chose the URL). */
    readonly address: string,
    /** Which range matched, with the address, e.g. `"private address 10.0.0.5"` (for logs, like `address`). */
    readonly detail: string = `refused address ${address}`,
  ) {
    super(message);
    this.name = 'SsrfBlockedError';
  }
}

/**
 * The one text of a refusal: the hostname as given (an IP literal is the caller's own input), never the address a
 * name resolved to nor its range.
 */
export function refusalMessage(hostname: string): string {
  const what = isIP(hostname) ? 'is' : 'resolves to';
  return `refused: ${hostname} ${what} a private or reserved address; set allow_private_urls or add it to allowed_hosts`;
}

/** The refusal of a connection to `ip` reached by resolving `hostname`, or null when it may go ahead. */
export function refusalOf(allow: AllowList, hostname: string, ip: string): SsrfBlockedError | null {
  const verdict = classifyAddress(ip);
  if (!verdict.blocked) return null;
  if (allow.allowsHost(hostname) || allow.allowsAddress(ip)) return null;
  return new SsrfBlockedError(refusalMessage(hostname), hostname, ip, verdict.reason);
}

/**
 * Decides whether a connection to `ip`, reached by resolving `hostname`, may go ahead under `policy`.
 * Returns null when allowed, else the refusal (without the address), e.g.
 * `"refused: hooks.example resolves to a private or reserved address; set allow_private_urls or add it to allowed_hosts"`.
 * Throws when `policy.allowed_hosts` holds an invalid entry.
 */
export function checkAddress(policy: SsrfPolicy, hostname: string, ip: string): string | null {
  if (policy.allow_private_urls) return null;
  return refusalOf(parseAllowList(policy.allowed_hosts ?? []), hostname, ip)?.message ?? null;
}

/**
 * Finds the guard's {@link SsrfBlockedError} in an error thrown by an HTTP client. How it surfaces:
 * - undici `request()` / `Agent.dispatch` reject with the very error the lookup passed to its callback
 *   (net destroys the socket with it and undici forwards the connect error unchanged);
 * - undici `fetch()` rejects with `TypeError('fetch failed')` whose `cause` is that error;
 * - axios and other wrappers usually keep it in `cause` too; `AggregateError.errors` is also searched.
 */
export function findSsrfError(err: unknown): SsrfBlockedError | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    if ((current as { code?: unknown }).code === SSRF_ERROR_CODE) return current as SsrfBlockedError;
    queue.push((current as { cause?: unknown }).cause);
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested)) queue.push(...nested);
  }
  return undefined;
}

/** True when `err`, or anything in its `cause` chain, is a refusal by the SSRF guard. See {@link findSsrfError}. */
export function isSsrfError(err: unknown): boolean {
  return findSsrfError(err) !== undefined;
}
