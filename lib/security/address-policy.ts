/**
 * Which IP addresses the SSRF guard refuses: everything that is not globally reachable unicast (loopback, private,
 * link-local, cloud metadata, reserved, documentation, ...). Pure: ipaddr.js names the IANA special-purpose range an
 * address is in; this file decides, per range, to refuse it, to allow it, or to judge the IPv4 address it carries.
 */
import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

/**
 * Result of {@link classifyAddress}. `reason` says which range matched and holds the address, e.g.
 * `"private address 10.0.0.5"`: it is for the server log, never for a message shown to whoever chose the URL.
 */
export type AddressClassification = { blocked: false } | { blocked: true; reason: string };

/** Cloud instance metadata services (AWS, GCP, Azure, OpenStack, DigitalOcean...; AWS IMDS over IPv6). */
const METADATA = [ipaddr.parse('169.254.169.254'), ipaddr.parse('fd00:ec2::254')];

/**
 * ipaddr.js's IPv4 range names: refused with this label, or null when globally reachable (AS112 and AMT are
 * anycast services on the public Internet). `reserved` covers 192.0.0.0/24, the TEST-NETs, 192.88.99.0/24
 * (6to4 relay anycast), 198.18.0.0/15 (benchmarking) and 240.0.0.0/4.
 */
const V4_LABELS: Record<string, string | null> = {
  unicast: null,
  as112: null,
  amt: null,
  unspecified: 'this-network address', // 0.0.0.0/8; Linux connects 0.0.0.0 itself to the local host
  broadcast: 'broadcast address',
  multicast: 'multicast address',
  linkLocal: 'link-local address',
  loopback: 'loopback address',
  carrierGradeNat: 'carrier-grade NAT address', // also Alibaba Cloud's metadata 100.100.100.200
  private: 'private address',
  reserved: 'reserved address',
};

/**
 * ipaddr.js's IPv6 range names: refused with this label, or null when globally reachable. `reserved` covers the
 * rest of 2001::/23 (IETF protocol assignments), 2001:db8::/32 and 3fff::/20 (documentation). The forms that
 * carry an IPv4 address are in {@link V6_EMBEDDING} instead.
 */
const V6_LABELS: Record<string, string | null> = {
  unicast: null, // but see GLOBAL_UNICAST
  amt: null,
  as112v6: null,
  droneRemoteIdProtocolEntityTags: null,
  unspecified: 'unspecified address',
  loopback: 'loopback address',
  linkLocal: 'link-local address',
  multicast: 'multicast address',
  uniqueLocal: 'private (unique local) address',
  deprecatedSiteLocal: 'site-local address',
  discard: 'discard-only address',
  benchmarking: 'benchmarking address', // 2001:2::/48
  deprecatedOrchid: 'ORCHID address', // 2001:10::/28
  orchid2: 'ORCHIDv2 address', // 2001:20::/28: identifiers, not locators
  segmentRouting: 'segment routing address',
  reserved: 'reserved address',
};

/**
 * IPv6 forms that carry an IPv4 address, judged by that address because that is where the packets end up (a
 * NAT64 gateway, a 6to4 relay or a Teredo server forwards them): how to find it in the eight 16-bit groups.
 */
const V6_EMBEDDING: Record<string, { label: string; v4: (p: number[]) => [number, number] }> = {
  ipv4Mapped: { label: 'IPv4-mapped', v4: (p) => [p[6], p[7]] }, // ::ffff:0:0/96
  rfc6145: { label: 'IPv4-translated', v4: (p) => [p[6], p[7]] }, // ::ffff:0:0:0/96
  rfc6052: { label: 'NAT64', v4: (p) => [p[6], p[7]] }, // 64:ff9b::/96 (64:ff9b:1::/48 is refused below)
  '6to4': { label: '6to4', v4: (p) => [p[1], p[2]] }, // 2002:AABB:CCDD::/48 carries AA.BB.CC.DD
  teredo: { label: 'Teredo', v4: (p) => [p[6] ^ 0xffff, p[7] ^ 0xffff] }, // the client's address, bit-inverted
};

/** 64:ff9b:1::/48, local-use NAT64 (RFC 8215): its translation is site-specific, so the IPv4 part says nothing. */
const LOCAL_NAT64 = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');
/** Global unicast space: a "unicast" address outside it is unallocated. */
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * Says whether connecting to `ip` could reach the sender's own network or a non-routable destination.
 * Accepts IPv4 dotted quads and every IPv6 text form (compressed, uppercase, `%zone`, embedded dotted quad,
 * `[brackets]`); IPv6 forms that carry an IPv4 address (mapped, translated, compatible, NAT64, 6to4, Teredo) are
 * judged by that address. Anything that is not an IP address is blocked: the guard fails closed, also for a range
 * name a later ipaddr.js might add.
 */
export function classifyAddress(ip: string): AddressClassification {
  const text = stripBrackets(String(ip ?? '').trim());
  switch (isIP(text)) {
    case 4:
      return classifyV4(ipaddr.IPv4.parse(text), text);
    case 6:
      return classifyV6(ipaddr.IPv6.parse(hexTail(text)), text.toLowerCase());
    default:
      return { blocked: true, reason: `invalid IP address ${JSON.stringify(ip)}` };
  }
}

function classifyV4(addr: ipaddr.IPv4, shown: string): AddressClassification {
  if (METADATA.some((m) => m.kind() === 'ipv4' && addr.match(m, 32))) return blocked('cloud metadata address', shown);
  const range = addr.range();
  if (range === 'unspecified' && addr.octets.every((o) => o === 0)) return blocked('unspecified address', shown);
  const label = range in V4_LABELS ? V4_LABELS[range] : `special-purpose address (${range})`;
  return label === null ? { blocked: false } : blocked(label, shown);
}

function classifyV6(addr: ipaddr.IPv6, shown: string): AddressClassification {
  if (METADATA.some((m) => m.kind() === 'ipv6' && addr.match(m, 128))) return blocked('cloud metadata address', shown);
  const range = addr.range();
  if (range === 'rfc6052' && addr.match(LOCAL_NAT64)) return blocked('local-use NAT64 address', shown);
  const embedding = V6_EMBEDDING[range] ?? (range === 'unicast' && isV4Compatible(addr) ? { label: 'IPv4-compatible', v4: (p: number[]) => [p[6], p[7]] } : undefined);
  if (embedding) {
    const [high, low] = embedding.v4(addr.parts);
    const v4 = new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
    const inner = classifyV4(v4, v4.toString());
    return inner.blocked ? { blocked: true, reason: `${inner.reason} (${embedding.label} ${shown})` } : inner;
  }
  if (range === 'unicast' && !addr.match(GLOBAL_UNICAST)) return blocked('reserved address', shown);
  const label = range in V6_LABELS ? V6_LABELS[range] : `special-purpose address (${range})`;
  return label === null ? { blocked: false } : blocked(label, shown);
}

/** ::a.b.c.d (deprecated, RFC 4291 2.5.5.1): the first 96 bits zero. `::` and `::1` are ranges of their own. */
function isV4Compatible(addr: ipaddr.IPv6): boolean {
  return addr.parts.slice(0, 6).every((p) => p === 0);
}

function blocked(label: string, shown: string): AddressClassification {
  return { blocked: true, reason: `${label} ${shown}` };
}

/**
 * ipaddr.js reads the deprecated `::a.b.c.d` as IPv4-mapped `::ffff:a.b.c.d`; spelling a trailing dotted quad as
 * two hex groups makes it read every form as written.
 */
function hexTail(text: string): string {
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)(%.*)?$/.exec(text);
  if (!m) return text;
  const [a, b, c, d] = ipaddr.IPv4.parse(m[2]).octets;
  return `${m[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}${m[3] ?? ''}`;
}

/** `[::1]` (as in URLs) to `::1`. */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
