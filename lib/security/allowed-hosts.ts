/** `allowed_hosts`: the operator's exceptions to the SSRF guard, by hostname or by address. */
import { BlockList, isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { stripBrackets } from './address-policy';

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

/** An IP literal without brackets or `%zone` (BlockList knows no zones), with its family; family 0: not an IP. */
function ipText(raw: string): { text: string; family: 0 | 4 | 6 } {
  const text = stripBrackets(String(raw ?? '').trim()).replace(/%.*$/, '');
  return { text, family: isIP(text) as 0 | 4 | 6 };
}

const TYPE = { 4: 'ipv4', 6: 'ipv6' } as const;

/**
 * Parses `allowed_hosts`. Each entry is a hostname (exact, case-insensitive), `*.domain` (any subdomain of
 * `domain` at any depth, not `domain` itself), a single IP (`10.0.0.5`, `::1`, `[::1]`) or a CIDR
 * (`10.0.0.0/8`, `fd00::/8`). Throws an Error naming the first invalid entry, so a typo fails at start-up
 * instead of silently blocking (or allowing) deliveries.
 */
export function parseAllowList(entries: readonly string[]): AllowList {
  const exact = new Set<string>();
  const suffixes: string[] = [];
  // Matches IPv4-mapped IPv6 addresses against IPv4 entries and IPv4 addresses against ::ffff:0:0/96 entries.
  const addresses = new BlockList();

  const invalid = (entry: unknown, why: string) => new Error(`invalid allowed_hosts entry ${JSON.stringify(entry)}: ${why}`);

  for (const entry of entries ?? []) {
    if (typeof entry !== 'string' || entry.trim() === '') {
      throw invalid(entry, 'expected a hostname, *.domain, IP address or CIDR');
    }
    const text = entry.trim();

    if (text.includes('/')) {
      const slash = text.lastIndexOf('/');
      const { text: addr, family } = ipText(text.slice(0, slash));
      const bitsText = text.slice(slash + 1);
      if (family === 0) throw invalid(entry, 'the part before "/" is not an IP address');
      const max = family === 4 ? 32 : 128;
      if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) {
        throw invalid(entry, `prefix length must be 0-${max}`);
      }
      // Host bits set below the prefix (10.0.0.5/8) are ignored, as BlockList does.
      addresses.addSubnet(addr, Number(bitsText), TYPE[family]);
      continue;
    }

    const literal = ipText(text);
    if (literal.family !== 0) {
      addresses.addAddress(literal.text, TYPE[literal.family]);
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
    const { text, family } = ipText(ip);
    return family !== 0 && addresses.check(text, TYPE[family]);
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
