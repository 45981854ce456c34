/**
 * SSRF guard: refuses webhook deliveries to addresses inside the sender's own network (loopback, private,
 * link-local, cloud metadata, ...) unless the operator opted in with `allow_private_urls` or `allowed_hosts`.
 *
 * The check happens on the resolved IP address, not on the hostname, because any public name can point at
 * 127.0.0.1. To close the DNS-rebinding gap (check resolves to a public IP, connect resolves again to a
 * private one), {@link createGuardedLookup} is installed as the socket's own `lookup`: the address that is
 * checked is the address that is connected to.
 */
import * as dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { domainToASCII } from 'node:url';
import { buildConnector } from 'undici';

/** Result of {@link classifyAddress}: `reason` is a short phrase such as `"private address 10.0.0.5"`. */
export type AddressClassification = { blocked: false } | { blocked: true; reason: string };

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
 * `ERR_*` convention so it survives the wrapping HTTP clients do (undici `fetch` puts it in `cause`).
 */
export class SsrfBlockedError extends Error {
  /** Always {@link SSRF_ERROR_CODE}. */
  readonly code = SSRF_ERROR_CODE;

  constructor(
    message: string,
    /** The hostname that was being connected to. */
    readonly hostname: string,
    /** The refused address. */
    readonly address: string,
  ) {
    super(message);
    this.name = 'SsrfBlockedError';
  }
}

// ---------------------------------------------------------------------------------------------------------
// Address arithmetic. Hand-written rather than net.BlockList because the guard needs the *reason* (which
// range matched) and needs to look inside IPv6 forms that embed an IPv4 address.
// ---------------------------------------------------------------------------------------------------------

const V6_ALL_ONES = (1n << 128n) - 1n;

/** Dotted quad to an unsigned 32-bit number; the input must already satisfy `isIP(ip) === 4`. */
function ipv4ToNumber(ip: string): number {
  const parts = ip.split('.').map(Number);
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

function numberToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join('.');
}

/** IPv6 text (any RFC 4291 form, optional `%zone`) to a 128-bit integer; the input must satisfy `isIP(ip) === 6`. */
function ipv6ToBigInt(ip: string): bigint {
  let text = ip.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // Rewrite a trailing dotted quad (`::ffff:1.2.3.4`) as two hex groups so one parser handles every form.
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    const v4 = ipv4ToNumber(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...new Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(parseInt(group, 16)), 0n);
}

function v4Mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function v6Mask(bits: number): bigint {
  return V6_ALL_ONES ^ ((1n << BigInt(128 - bits)) - 1n);
}

interface V4Range {
  base: number;
  mask: number;
}

interface V6Range {
  base: bigint;
  mask: bigint;
}

function v4Range(cidr: string): V4Range {
  const [addr, bits] = cidr.split('/');
  const mask = v4Mask(Number(bits ?? 32));
  return { base: (ipv4ToNumber(addr) & mask) >>> 0, mask };
}

function v6Range(cidr: string): V6Range {
  const slash = cidr.lastIndexOf('/');
  const addr = slash >= 0 ? cidr.slice(0, slash) : cidr;
  const mask = v6Mask(slash >= 0 ? Number(cidr.slice(slash + 1)) : 128);
  return { base: ipv6ToBigInt(addr) & mask, mask };
}

function inV4(n: number, r: V4Range): boolean {
  return ((n & r.mask) >>> 0) === r.base;
}

function inV6(n: bigint, r: V6Range): boolean {
  return (n & r.mask) === r.base;
}

// First match wins, so the /32 entries with a more specific reason come before the ranges that contain them.
const V4_RULES: ReadonlyArray<V4Range & { label: string }> = (
  [
    ['169.254.169.254/32', 'cloud metadata address'], // AWS, GCP, Azure, OpenStack, DigitalOcean...
    ['255.255.255.255/32', 'broadcast address'],
    ['0.0.0.0/32', 'unspecified address'], // Linux connects 0.0.0.0 to the local host
    ['0.0.0.0/8', 'this-network address'],
    ['10.0.0.0/8', 'private address'],
    ['100.64.0.0/10', 'carrier-grade NAT address'], // also Alibaba Cloud's metadata 100.100.100.200
    ['127.0.0.0/8', 'loopback address'],
    ['169.254.0.0/16', 'link-local address'],
    ['172.16.0.0/12', 'private address'],
    ['192.0.0.0/24', 'IETF protocol assignment address'],
    ['192.0.2.0/24', 'documentation (TEST-NET-1) address'],
    ['192.168.0.0/16', 'private address'],
    ['198.18.0.0/15', 'benchmarking address'],
    ['198.51.100.0/24', 'documentation (TEST-NET-2) address'],
    ['203.0.113.0/24', 'documentation (TEST-NET-3) address'],
    ['224.0.0.0/4', 'multicast address'],
    ['240.0.0.0/4', 'reserved address'],
  ] as const
).map(([cidr, label]) => ({ ...v4Range(cidr), label }));

/** How to find the IPv4 address an IPv6 form carries (or `undefined` for a plain range). */
type Embedded = (n: bigint) => number;
const LOW_32: Embedded = (n) => Number(n & 0xffffffffn);

const V6_RULES: ReadonlyArray<V6Range & { label: string; embedded?: Embedded }> = (
  [
    ['::/128', 'unspecified address'],
    ['::1/128', 'loopback address'],
    // Forms that carry an IPv4 address: judged by that address, because that is where the packets end up.
    ['::ffff:0:0/96', 'IPv4-mapped', LOW_32],
    ['::ffff:0:0:0/96', 'IPv4-translated', LOW_32],
    ['::/96', 'IPv4-compatible', LOW_32],
    ['64:ff9b::/96', 'NAT64', LOW_32],
    ['64:ff9b:1::/48', 'local-use NAT64 address'],
    ['100::/64', 'discard-only address'],
    // Teredo stores the client's IPv4 address bit-inverted in the low 32 bits.
    ['2001::/32', 'Teredo', (n: bigint) => Number(~n & 0xffffffffn)],
    ['2001:db8::/32', 'documentation address'],
    ['2002::/16', '6to4', (n: bigint) => Number((n >> 80n) & 0xffffffffn)],
    ['fd00:ec2::254/128', 'cloud metadata address'], // AWS IMDS over IPv6
    ['fc00::/7', 'private (unique local) address'],
    ['fe80::/10', 'link-local address'],
    ['fec0::/10', 'site-local address'],
    ['ff00::/8', 'multicast address'],
  ] as const
).map(([cidr, label, embedded]) => ({ ...v6Range(cidr), label, embedded }));

/** Global unicast space: everything outside it that no rule above explains is unallocated or special-purpose. */
const V6_GLOBAL_UNICAST = v6Range('2000::/3');

function classifyV4(ip: string): AddressClassification {
  return classifyV4Number(ipv4ToNumber(ip), ip);
}

function classifyV4Number(n: number, shown: string): AddressClassification {
  const rule = V4_RULES.find((r) => inV4(n, r));
  return rule ? { blocked: true, reason: `${rule.label} ${shown}` } : { blocked: false };
}

function classifyV6(ip: string): AddressClassification {
  const n = ipv6ToBigInt(ip);
  const shown = ip.toLowerCase();
  const rule = V6_RULES.find((r) => inV6(n, r));
  if (rule?.embedded) {
    const v4 = numberToIpv4(rule.embedded(n));
    const inner = classifyV4Number(rule.embedded(n), v4);
    return inner.blocked ? { blocked: true, reason: `${inner.reason} (${rule.label} ${shown})` } : inner;
  }
  if (rule) return { blocked: true, reason: `${rule.label} ${shown}` };
  if (!inV6(n, V6_GLOBAL_UNICAST)) return { blocked: true, reason: `reserved address ${shown}` };
  return { blocked: false };
}

/**
 * Says whether connecting to `ip` could reach the sender's own network or a non-routable destination.
 * Accepts IPv4 dotted quads and every IPv6 text form (compressed, uppercase, `%zone`, embedded dotted quad);
 * IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo) are judged by that address.
 * Anything that is not an IP address is blocked: the guard fails closed.
 */
export function classifyAddress(ip: string): AddressClassification {
  const text = stripBrackets(String(ip ?? '').trim());
  switch (isIP(text)) {
    case 4:
      return classifyV4(text);
    case 6:
      return classifyV6(text);
    default:
      return { blocked: true, reason: `invalid IP address ${JSON.stringify(ip)}` };
  }
}

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

// ---------------------------------------------------------------------------------------------------------
// Allow-list
// ---------------------------------------------------------------------------------------------------------

/** Parsed `allowed_hosts`: exceptions to the guard. Built by {@link parseAllowList}. */
export interface AllowList {
  /**
   * True when `hostname` (case-insensitive, trailing dot and IPv6 brackets ignored) equals a hostname entry,
   * is a subdomain of a `*.` entry, or is an IP literal covered by an address entry.
   */
  allowsHost(hostname: string): boolean;
  /** True when `ip` falls in an IP/CIDR entry (an IPv4-mapped IPv6 address also matches IPv4 entries). */
  allowsAddress(ip: string): boolean;
}

const HOST_LABEL = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/;

/** Lower-case, punycode, no trailing dot; `undefined` when it is not a usable DNS name. */
function normalizeHostname(raw: string): string | undefined {
  const trimmed = raw.trim().toLowerCase().replace(/\.$/, '');
  // domainToASCII turns `bücher.example` into the `xn--` form that `new URL()` gives us at delivery time.
  const ascii = /^[\x21-\x7e]*$/.test(trimmed) ? trimmed : domainToASCII(trimmed);
  if (!ascii || ascii.length > 253) return undefined;
  const labels = ascii.split('.');
  if (!labels.every((l) => HOST_LABEL.test(l))) return undefined;
  return ascii;
}

/**
 * Parses `allowed_hosts`. Each entry is a hostname (exact, case-insensitive), `*.domain` (any subdomain of
 * `domain` at any depth, not `domain` itself), a single IP (`10.0.0.5`, `::1`, `[::1]`) or a CIDR
 * (`10.0.0.0/8`, `fd00::/8`). Throws an Error naming the first invalid entry, so a typo fails at start-up
 * instead of silently blocking (or allowing) deliveries.
 */
export function parseAllowList(entries: readonly string[]): AllowList {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  const v4: V4Range[] = [];
  const v6: V6Range[] = [];

  const invalid = (entry: unknown, why: string) =>
    new Error(`invalid allowed_hosts entry ${JSON.stringify(entry)}: ${why}`);

  for (const entry of entries ?? []) {
    if (typeof entry !== 'string' || entry.trim() === '') {
      throw invalid(entry, 'expected a hostname, *.domain, IP address or CIDR');
    }
    const text = entry.trim();

    if (text.includes('/')) {
      const slash = text.lastIndexOf('/');
      const addr = stripBrackets(text.slice(0, slash));
      const bitsText = text.slice(slash + 1);
      const family = isIP(addr);
      const max = family === 4 ? 32 : 128;
      if (family === 0) throw invalid(entry, 'the part before "/" is not an IP address');
      if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) {
        throw invalid(entry, `prefix length must be 0-${max}`);
      }
      // Host bits set below the prefix (10.0.0.5/8) are ignored, as net.BlockList does.
      if (family === 4) v4.push(v4Range(`${addr}/${bitsText}`));
      else v6.push(v6Range(`${addr}/${bitsText}`));
      continue;
    }

    const literal = stripBrackets(text);
    const family = isIP(literal);
    if (family === 4) {
      v4.push(v4Range(literal));
      continue;
    }
    if (family === 6) {
      v6.push(v6Range(literal));
      continue;
    }

    const wildcard = text.startsWith('*.');
    const host = normalizeHostname(wildcard ? text.slice(2) : text);
    if (!host) throw invalid(entry, 'not a valid hostname, *.domain, IP address or CIDR');
    // WHATWG URL parsing turns hosts ending in a number (`0x7f.1`, `10.1`) into IPv4 addresses, so such a name
    // could never match a delivery URL's hostname: refuse it instead of letting it look like it works.
    if (/^(0x[0-9a-f]*|\d+)$/.test(host.split('.').pop() ?? '')) {
      throw invalid(entry, 'looks like an IPv4 address but is not a valid one');
    }
    if (wildcard) suffixes.push(`.${host}`);
    else exact.add(host);
  }

  const allowsAddress = (ip: string): boolean => {
    const text = stripBrackets(String(ip ?? '').trim());
    const family = isIP(text);
    if (family === 4) {
      const n = ipv4ToNumber(text);
      return v4.some((r) => inV4(n, r)) || v6.some((r) => inV6(0xffff00000000n | BigInt(n), r));
    }
    if (family === 6) {
      const n = ipv6ToBigInt(text);
      if (v6.some((r) => inV6(n, r))) return true;
      const mapped = n >> 32n === 0xffffn;
      return mapped && v4.some((r) => inV4(Number(n & 0xffffffffn), r));
    }
    return false;
  };

  const allowsHost = (hostname: string): boolean => {
    const literal = stripBrackets(String(hostname ?? '').trim());
    if (isIP(literal)) return allowsAddress(literal);
    const host = normalizeHostname(literal);
    if (!host) return false;
    return exact.has(host) || suffixes.some((s) => host.endsWith(s));
  };

  return { allowsHost, allowsAddress };
}

// ---------------------------------------------------------------------------------------------------------
// Policy checks
// ---------------------------------------------------------------------------------------------------------

function refusal(allow: AllowList, privateOk: boolean, hostname: string, ip: string): string | null {
  if (privateOk) return null;
  const verdict = classifyAddress(ip);
  if (!verdict.blocked) return null;
  if (allow.allowsHost(hostname) || allow.allowsAddress(ip)) return null;
  return `refused: ${hostname} resolves to ${verdict.reason}; set allow_private_urls or add it to allowed_hosts`;
}

/**
 * Decides whether a connection to `ip`, reached by resolving `hostname`, may go ahead under `policy`.
 * Returns null when allowed, else the reason, e.g.
 * `"refused: hooks.example resolves to private address 10.0.0.5; set allow_private_urls or add it to allowed_hosts"`.
 * Throws when `policy.allowed_hosts` holds an invalid entry.
 */
export function checkAddress(policy: SsrfPolicy, hostname: string, ip: string): string | null {
  if (policy.allow_private_urls) return null;
  return refusal(parseAllowList(policy.allowed_hosts ?? []), false, hostname, ip);
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
      const addresses: dns.LookupAddress[] = Array.isArray(result)
        ? result
        : typeof result === 'string' && result
          ? [{ address: result, family: family ?? isIP(result) }]
          : [];
      if (addresses.length === 0) {
        const notFound = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
          code: 'ENOTFOUND',
          hostname,
        });
        done(notFound, wantAll ? [] : '');
        return;
      }
      for (const { address } of addresses) {
        const reason = refusal(allow, privateOk, hostname, address);
        if (reason) {
          done(new SsrfBlockedError(reason, hostname, address), wantAll ? [] : '');
          return;
        }
      }
      if (wantAll) done(null, addresses);
      else done(null, addresses[0].address, addresses[0].family);
    });
  } as LookupFunction;
}

/**
 * Checks a webhook URL's destination: an IP-literal host is judged directly (sockets never call `lookup` for
 * those), a name is resolved with `lookupFn` (default `dns.lookup`, `all: true`) and every address is judged.
 * Resolves to null when allowed, else the refusal reason. Rejects with the resolver's error (e.g. ENOTFOUND)
 * when the name does not resolve: whether that is fatal is the caller's decision. Meant for subscription
 * creation and as a pre-flight before each send; the guarded lookup still re-checks at connect time.
 */
export async function checkUrlTarget(
  policy: SsrfPolicy,
  url: URL,
  lookupFn: LookupFunction = dns.lookup,
): Promise<string | null> {
  if (policy.allow_private_urls) return null;
  const allow = parseAllowList(policy.allowed_hosts ?? []);
  const hostname = stripBrackets(url.hostname);
  if (isIP(hostname)) return refusal(allow, false, hostname, hostname);
  if (allow.allowsHost(hostname)) return null;
  // `localhost` and `*.localhost` are loopback by definition (RFC 6761), whatever DNS says or fails to say
  // (the trailing-dot form `localhost.` is often not in /etc/hosts and would otherwise slip through as unresolvable).
  if (isLoopbackName(hostname)) return refusal(allow, false, hostname, '127.0.0.1');

  const addresses = await new Promise<dns.LookupAddress[]>((resolve, reject) => {
    lookupFn(hostname, { all: true }, (err, result, family) => {
      if (err) reject(err);
      else if (Array.isArray(result)) resolve(result);
      else resolve([{ address: result, family: family ?? isIP(result) }]);
    });
  });
  for (const { address } of addresses) {
    const reason = refusal(allow, false, hostname, address);
    if (reason) return reason;
  }
  return null;
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
export function createGuardedConnector(
  policy: SsrfPolicy,
  options: GuardedConnectorOptions = {},
): buildConnector.connector {
  const { lookupFn, ...connectOptions } = options;
  const allow = parseAllowList(policy.allowed_hosts ?? []);
  const privateOk = policy.allow_private_urls === true;
  const connect = buildConnector({ ...connectOptions, lookup: createGuardedLookup(policy, lookupFn) });

  return (opts, callback) => {
    const hostname = stripBrackets(opts.hostname);
    if (isIP(hostname)) {
      const reason = refusal(allow, privateOk, hostname, hostname);
      if (reason) {
        // Asynchronously, as a real connection failure would be reported.
        process.nextTick(callback, new SsrfBlockedError(reason, hostname, hostname), null);
        return;
      }
    }
    connect(opts, callback);
  };
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
