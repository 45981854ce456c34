/**
 * Where the SSRF guard runs: on the resolved IP address, not on the hostname, because any public name can point at
 * 127.0.0.1. To close the DNS-rebinding gap (check resolves to a public IP, connect resolves again to a private
 * one), {@link createGuardedLookup} is installed as the socket's own `lookup`: the address that is checked is the
 * address that is connected to. A refusal at connect time is logged with its detail (the address and its range),
 * which the error's message leaves out.
 */
import { Logger } from '@nestjs/common';
import * as dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { buildConnector } from 'undici';
import { stripBrackets } from './address-policy';
import { parseAllowList } from './allowed-hosts';
import { refusalOf, type SsrfBlockedError, type SsrfPolicy } from './ssrf-refusal';

const logger = new Logger('WebhookSsrfGuard');

/** A refused connection, in the server log only: the address is what the caller must not learn. */
function logRefused(err: SsrfBlockedError): SsrfBlockedError {
  logger.warn(`connection refused: ${err.hostname} -> ${err.detail}`);
  return err;
}

type LookupCallback = Parameters<LookupFunction>[2];

/**
 * Wraps `lookupFn` (default `dns.lookup`) so that every address a hostname resolves to is checked before the
 * socket connects. Has Node's `dns.lookup` callback signature: with `options.all === true` the callback gets
 * `(null, [{ address, family }, ...])`, otherwise `(null, address, family)` (the first address, as dns.lookup
 * does). If ANY resolved address is refused the callback gets a {@link SsrfBlockedError}, even when another
 * address is fine: the caller cannot control which one the socket would use.
 *
 * Use it as the socket's lookup so the checked address is the connected one (no DNS-rebinding window):
 * `new Agent({ connect: { lookup: createGuardedLookup(policy) } })`. Node skips `lookup` for IP-literal
 * hosts, so also call {@link checkUrlTarget} or use {@link createGuardedConnector}.
 * Throws at creation when `policy.allowed_hosts` holds an invalid entry.
 */
export function createGuardedLookup(policy: SsrfPolicy, lookupFn: LookupFunction = dns.lookup): LookupFunction {
  const allow = parseAllowList(policy.allowed_hosts ?? []);
  const privateOk = policy.allow_private_urls === true;

  return function guardedLookup(hostname, options, callback) {
    // dns.lookup also accepts (hostname, callback) and (hostname, family, callback); net always passes an object.
    let cb = callback as LookupCallback | undefined;
    let opts: dns.LookupOptions = {};
    if (typeof options === 'function') cb = options as LookupCallback;
    else if (typeof options === 'number') opts = { family: options };
    else if (options) opts = options;
    const done = cb as LookupCallback;
    const wantAll = opts.all === true;

    // Always ask for every address: checking only the first would let a second, private A record through
    // when the caller (net with autoSelectFamily) tries several.
    lookupFn(hostname, { ...opts, all: true }, (err, result, family) => {
      if (err) {
        done(err, wantAll ? [] : '');
        return;
      }
      const addresses = asAddressList(result, family);
      if (addresses.length === 0) {
        const notFound = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: 'ENOTFOUND',
          hostname,
        });
        done(notFound, wantAll ? [] : '');
        return;
      }
      if (!privateOk) {
        for (const { address } of addresses) {
          const refused = refusalOf(allow, hostname, address);
          if (refused) {
            done(logRefused(refused), wantAll ? [] : '');
            return;
          }
        }
      }
      if (wantAll) done(null, addresses);
      else done(null, addresses[0].address, addresses[0].family);
    });
  } as LookupFunction;
}

/** What a resolver answered, as a list (a resolver may ignore `all: true` and answer one address). */
function asAddressList(result: string | dns.LookupAddress[], family: number | undefined): dns.LookupAddress[] {
  if (Array.isArray(result)) return result;
  return typeof result === 'string' && result ? [{ address: result, family: family ?? isIP(result) }] : [];
}

/**
 * The guard's verdict on a webhook URL's destination: an IP-literal host is judged directly (sockets never call
 * `lookup` for those), a name is resolved with `lookupFn` (default `dns.lookup`, `all: true`) and every address
 * is judged. Resolves to null when allowed, else the {@link SsrfBlockedError} (its message names no address, its
 * `detail` does, for the log). Rejects with the resolver's error (e.g. ENOTFOUND) when the name does not resolve.
 */
export async function urlTargetRefusal(policy: SsrfPolicy, url: URL, lookupFn: LookupFunction = dns.lookup): Promise<SsrfBlockedError | null> {
  if (policy.allow_private_urls) return null;
  const allow = parseAllowList(policy.allowed_hosts ?? []);
  const hostname = stripBrackets(url.hostname);
  if (isIP(hostname)) return refusalOf(allow, hostname, hostname);
  if (allow.allowsHost(hostname)) return null;
  // `localhost` and `*.localhost` are loopback by definition (RFC 6761), whatever DNS says or fails to say
  // (the trailing-dot form `localhost.` is often not in /etc/hosts and would otherwise slip through as unresolvable).
  if (isLoopbackName(hostname)) return refusalOf(allow, hostname, '127.0.0.1');

  const addresses = await new Promise<dns.LookupAddress[]>((resolve, reject) => {
    lookupFn(hostname, { all: true }, (err, result, family) => (err ? reject(err) : resolve(asAddressList(result, family))));
  });
  for (const { address } of addresses) {
    const refused = refusalOf(allow, hostname, address);
    if (refused) return refused;
  }
  return null;
}

/**
 * Checks a webhook URL's destination (see {@link urlTargetRefusal}): resolves to null when allowed, else the
 * refusal's message, which names no address. Rejects with the resolver's error (e.g. ENOTFOUND) when the name does
 * not resolve: whether that is fatal is the caller's decision. Meant for subscription creation and as a pre-flight
 * before each send; the guarded lookup still re-checks at connect time.
 */
export async function checkUrlTarget(policy: SsrfPolicy, url: URL, lookupFn: LookupFunction = dns.lookup): Promise<string | null> {
  return (await urlTargetRefusal(policy, url, lookupFn))?.message ?? null;
}

/** `localhost`, `*.localhost`, with or without a trailing dot (RFC 6761 special-use names). */
function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  return name === 'localhost' || name.endsWith('.localhost');
}

/**
 * Options of {@link createGuardedConnector}: undici's connector options (`timeout`, `family`, TLS settings...);
 * a `lookup` given here is replaced by the guarded one.
 */
export type GuardedConnectorOptions = Partial<buildConnector.BuildOptions> & {
  /** Resolver to wrap (default `dns.lookup`). */
  lookupFn?: LookupFunction;
};

/**
 * An undici connector (`new Agent({ connect: createGuardedConnector(policy) })`) that applies the guard to
 * every connection: IP-literal hosts are checked before connecting (Node skips `lookup` for them) and names
 * go through {@link createGuardedLookup}. Refusals reach the request as a {@link SsrfBlockedError}.
 */
export function createGuardedConnector(policy: SsrfPolicy, options: GuardedConnectorOptions = {}): buildConnector.connector {
  const { lookupFn, ...connectOptions } = options;
  const allow = parseAllowList(policy.allowed_hosts ?? []);
  const privateOk = policy.allow_private_urls === true;
  const connect = buildConnector({ ...connectOptions, lookup: createGuardedLookup(policy, lookupFn) });

  return (opts, callback) => {
    const hostname = stripBrackets(opts.hostname);
    const refused = !privateOk && isIP(hostname) ? refusalOf(allow, hostname, hostname) : null;
    if (refused) {
      // Asynchronously, as a real connection failure would be reported.
      process.nextTick(callback, logRefused(refused), null);
      return;
    }
    connect(opts, callback);
  };
}
