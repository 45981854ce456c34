import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger, type LoggerService } from '@nestjs/common';
import * as dns from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, LookupFunction } from 'node:net';
import { Agent, fetch, request } from 'undici';
import {
  checkAddress,
  checkUrlTarget,
  classifyAddress,
  createGuardedConnector,
  createGuardedLookup,
  findSsrfError,
  isSsrfError,
  parseAllowList,
  SSRF_ERROR_CODE,
  SsrfBlockedError,
  type SsrfPolicy,
} from '../../lib/security';
import { urlTargetRefusal } from '../../lib/security/guarded-lookup';

const STRICT: SsrfPolicy = { allow_private_urls: false, allowed_hosts: [] };

/** What the guard logs (its refusals at connect time, with the address), instead of printing it. */
const logged: string[] = [];
const recorder: LoggerService = { log: () => undefined, error: () => undefined, warn: (m: unknown) => void logged.push(String(m)) };
beforeAll(() => Logger.overrideLogger(recorder));
afterAll(() => Logger.overrideLogger(false));

/** A fake resolver: answers from a table, records the options it was called with. */
function fakeLookup(table: Record<string, string[]>, calls: dns.LookupOptions[] = []): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: Parameters<LookupFunction>[2]) => {
    calls.push(options);
    const addresses = table[hostname];
    setImmediate(() => {
      if (!addresses) {
        callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
        return;
      }
      const list = addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
      if (options.all) callback(null, list);
      else callback(null, list[0].address, list[0].family);
    });
  }) as LookupFunction;
}

/** Runs a lookup function and captures what it calls back with. */
function runLookup(
  lookup: LookupFunction,
  hostname: string,
  options: dns.LookupOptions,
): Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }> {
  return new Promise((resolve) => {
    lookup(hostname, options, (err, address, family) => resolve({ err, address, family }));
  });
}

describe('classifyAddress: IPv4', () => {
  // [address, expected reason prefix or null when allowed]
  const cases: Array<[string, string | null]> = [
    // 0.0.0.0/8
    ['0.0.0.0', 'unspecified address 0.0.0.0'],
    ['0.1.2.3', 'this-network address 0.1.2.3'],
    ['0.255.255.255', 'this-network address'],
    ['1.0.0.0', null],
    // 10/8
    ['9.255.255.255', null],
    ['10.0.0.0', 'private address 10.0.0.0'],
    ['10.0.0.5', 'private address 10.0.0.5'],
    ['10.255.255.255', 'private address'],
    ['11.0.0.0', null],
    // 100.64/10
    ['100.63.255.255', null],
    ['100.64.0.0', 'carrier-grade NAT address 100.64.0.0'],
    ['100.100.100.200', 'carrier-grade NAT address'],
    ['100.127.255.255', 'carrier-grade NAT address'],
    ['100.128.0.0', null],
    // 127/8
    ['126.255.255.255', null],
    ['127.0.0.1', 'loopback address 127.0.0.1'],
    ['127.255.255.254', 'loopback address'],
    ['128.0.0.0', null],
    // 169.254/16 and metadata
    ['169.253.255.255', null],
    ['169.254.0.1', 'link-local address 169.254.0.1'],
    ['169.254.169.254', 'cloud metadata address 169.254.169.254'],
    ['169.254.169.253', 'link-local address'],
    ['169.254.255.255', 'link-local address'],
    ['169.255.0.0', null],
    // 172.16/12
    ['172.15.255.255', null],
    ['172.16.0.0', 'private address 172.16.0.0'],
    ['172.31.255.255', 'private address'],
    ['172.32.0.0', null],
    // 192.0.0/24
    ['191.255.255.255', null],
    ['192.0.0.0', 'reserved address 192.0.0.0'],
    ['192.0.0.255', 'reserved address'],
    ['192.0.1.0', null],
    // 192.0.2/24
    ['192.0.2.0', 'reserved address'],
    ['192.0.2.255', 'reserved address'],
    ['192.0.3.0', null],
    // 192.88.99/24: 6to4 relay anycast (deprecated, RFC 7526)
    ['192.88.98.255', null],
    ['192.88.99.0', 'reserved address 192.88.99.0'],
    ['192.88.99.255', 'reserved address'],
    ['192.88.100.0', null],
    // 192.168/16
    ['192.167.255.255', null],
    ['192.168.0.0', 'private address 192.168.0.0'],
    ['192.168.1.1', 'private address'],
    ['192.168.255.255', 'private address'],
    ['192.169.0.0', null],
    // 198.18/15
    ['198.17.255.255', null],
    ['198.18.0.0', 'reserved address'],
    ['198.19.255.255', 'reserved address'],
    ['198.20.0.0', null],
    // 198.51.100/24
    ['198.51.99.255', null],
    ['198.51.100.7', 'reserved address'],
    ['198.51.101.0', null],
    // 203.0.113/24
    ['203.0.112.255', null],
    ['203.0.113.9', 'reserved address'],
    ['203.0.114.0', null],
    // 224/4 multicast, 240/4 reserved, broadcast
    ['223.255.255.255', null],
    ['224.0.0.1', 'multicast address'],
    ['239.255.255.255', 'multicast address'],
    ['240.0.0.0', 'reserved address'],
    ['254.255.255.255', 'reserved address'],
    ['255.255.255.254', 'reserved address'],
    ['255.255.255.255', 'broadcast address 255.255.255.255'],
    // ordinary public addresses
    ['8.8.8.8', null],
    ['1.1.1.1', null],
    // AS112 and AMT anycast services are on the public Internet
    ['192.175.48.1', null],
    ['192.52.193.1', null],
    ['93.184.216.34', null],
  ];

  it.each(cases)('%s -> %s', (ip, reason) => {
    const verdict = classifyAddress(ip);
    if (reason === null) {
      expect(verdict).toEqual({ blocked: false });
    } else {
      expect(verdict.blocked).toBe(true);
      expect(verdict.blocked && verdict.reason).toContain(reason);
    }
  });
});

describe('classifyAddress: IPv6', () => {
  const cases: Array<[string, string | null]> = [
    ['::', 'unspecified address ::'],
    ['0:0:0:0:0:0:0:0', 'unspecified address'],
    ['::1', 'loopback address ::1'],
    ['0:0:0:0:0:0:0:1', 'loopback address'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', 'loopback address'],
    // IPv4-mapped, dotted and hex, upper and lower case
    ['::ffff:127.0.0.1', 'loopback address 127.0.0.1 (IPv4-mapped ::ffff:127.0.0.1)'],
    ['::ffff:7f00:1', 'loopback address 127.0.0.1 (IPv4-mapped ::ffff:7f00:1)'],
    ['::FFFF:7F00:1', 'loopback address 127.0.0.1'],
    ['0:0:0:0:0:ffff:7f00:1', 'loopback address 127.0.0.1'],
    ['::ffff:10.0.0.5', 'private address 10.0.0.5'],
    ['::ffff:a00:5', 'private address 10.0.0.5'],
    ['::ffff:169.254.169.254', 'cloud metadata address 169.254.169.254'],
    ['::ffff:a9fe:a9fe', 'cloud metadata address 169.254.169.254'],
    ['::ffff:0.0.0.0', 'unspecified address 0.0.0.0'],
    ['::ffff:8.8.8.8', null],
    ['::ffff:808:808', null],
    // IPv4-translated (SIIT)
    ['::ffff:0:7f00:1', 'loopback address 127.0.0.1 (IPv4-translated'],
    ['::ffff:0:808:808', null],
    // IPv4-compatible (deprecated)
    ['::127.0.0.1', 'loopback address 127.0.0.1 (IPv4-compatible ::127.0.0.1)'],
    ['::7f00:1', 'loopback address 127.0.0.1'],
    ['::192.168.0.1', 'private address 192.168.0.1'],
    ['::8.8.8.8', null],
    // NAT64
    ['64:ff9b::127.0.0.1', 'loopback address 127.0.0.1 (NAT64 64:ff9b::127.0.0.1)'],
    ['64:ff9b::a9fe:a9fe', 'cloud metadata address 169.254.169.254'],
    ['64:ff9b::8.8.8.8', null],
    ['64:ff9b:1::1', 'local-use NAT64 address'],
    // 6to4: 2002:AABB:CCDD::/48 carries AA.BB.CC.DD
    ['2002:7f00:1::', 'loopback address 127.0.0.1 (6to4 2002:7f00:1::)'],
    ['2002:a00:1::1', 'private address 10.0.0.1'],
    ['2002:c0a8:101::1', 'private address 192.168.1.1'],
    ['2002:808:808::1', null],
    // Teredo: client IPv4 bit-inverted in the low 32 bits (~127.0.0.1 = 80ff:fffe)
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'loopback address 127.0.0.1 (Teredo'],
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', null], // ~8.8.8.8
    // documentation
    ['2001:db8::1', 'reserved address 2001:db8::1'],
    ['2001:DB8:FFFF::1', 'reserved address 2001:db8:ffff::1'],
    ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', null],
    ['2001:db9::', null],
    // IETF protocol assignments 2001::/23 (Teredo above), with what lies inside it
    ['2001:1::1', 'reserved address'],
    ['2001:2::', 'benchmarking address 2001:2::'],
    ['2001:2:0:ffff:ffff:ffff:ffff:ffff', 'benchmarking address'],
    ['2001:3::1', null], // AMT anycast is global
    ['2001:4:112::1', null], // AS112
    ['2001:f:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved address'],
    ['2001:10::', 'ORCHID address 2001:10::'],
    ['2001:1f:ffff:ffff:ffff:ffff:ffff:ffff', 'ORCHID address'],
    ['2001:20::', 'ORCHIDv2 address 2001:20::'],
    ['2001:2f:ffff:ffff:ffff:ffff:ffff:ffff', 'ORCHIDv2 address'],
    ['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved address'],
    ['2001:200::1', null],
    // documentation 3fff::/20 (RFC 9637)
    ['3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null],
    ['3fff::', 'reserved address 3fff::'],
    ['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved address'],
    ['3fff:1000::', null],
    // unique local fc00::/7
    ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved address'],
    ['fc00::', 'private (unique local) address fc00::'],
    ['fd12:3456:789a::1', 'private (unique local) address'],
    ['FD00::1', 'private (unique local) address fd00::1'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'private (unique local) address'],
    ['fd00:ec2::254', 'cloud metadata address fd00:ec2::254'],
    // link-local fe80::/10 (with and without zone)
    ['fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved address'],
    ['fe80::1', 'link-local address fe80::1'],
    ['fe80::1%eth0', 'link-local address'],
    ['FE80::ABCD', 'link-local address fe80::abcd'],
    ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'link-local address'],
    ['fec0::1', 'site-local address'],
    // multicast ff00::/8
    ['ff02::1', 'multicast address ff02::1'],
    ['ff0e::1', 'multicast address'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'multicast address'],
    // discard-only and other non-global space
    ['100::1', 'discard-only address'],
    ['100:0:0:1::', 'reserved address'],
    ['::2:0:0:0:1', 'reserved address'],
    ['1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'reserved address'],
    // global unicast
    ['2000::', null],
    ['2606:4700:4700::1111', null],
    ['2a00:1450:4001:82b::200e', null],
    ['3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', null],
    ['4000::', 'reserved address'],
    // brackets as they appear in URLs
    ['[::1]', 'loopback address ::1'],
  ];

  it.each(cases)('%s -> %s', (ip, reason) => {
    const verdict = classifyAddress(ip);
    if (reason === null) {
      expect(verdict).toEqual({ blocked: false });
    } else {
      expect(verdict.blocked).toBe(true);
      expect(verdict.blocked && verdict.reason).toContain(reason);
    }
  });
});

describe('classifyAddress: not an address', () => {
  it.each(['', 'localhost', 'example.com', '0177.0.0.1', '2130706433', '1.2.3', '::g', '256.0.0.1'])(
    'fails closed for %j',
    (input) => {
      const verdict = classifyAddress(input);
      expect(verdict.blocked).toBe(true);
      expect(verdict.blocked && verdict.reason).toContain('invalid IP address');
    },
  );
});

describe('parseAllowList', () => {
  const list = parseAllowList([
    'localhost',
    'Hooks.Internal.',
    '*.corp.example',
    '10.1.0.0/16',
    '192.168.1.10',
    'fd00::/8',
    '[::1]',
    'bücher.example',
  ]);

  it.each([
    ['localhost', true],
    ['LOCALHOST', true],
    ['localhost.', true],
    ['hooks.internal', true],
    ['HOOKS.INTERNAL', true],
    ['other.internal', false],
    ['a.corp.example', true],
    ['a.b.corp.example', true],
    ['A.CORP.EXAMPLE', true],
    ['corp.example', false], // *. means subdomains only
    ['evilcorp.example', false],
    ['corp.example.evil.com', false],
    ['xn--bcher-kva.example', true], // what new URL() gives for bücher.example
    ['10.1.2.3', true], // IP literal hosts are matched against address entries
    ['[::1]', true],
    ['example.com', false],
  ])('allowsHost(%j) = %s', (host, expected) => {
    expect(list.allowsHost(host)).toBe(expected);
  });

  it.each([
    ['10.1.0.0', true],
    ['10.1.255.255', true],
    ['10.0.255.255', false],
    ['10.2.0.0', false],
    ['192.168.1.10', true],
    ['192.168.1.11', false],
    ['::ffff:10.1.2.3', true], // IPv4-mapped matches IPv4 entries
    ['::ffff:a01:203', true],
    ['::1', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::2', false],
    ['fd12::1', true],
    ['FD12::1', true],
    ['fc00::1', false],
    ['not-an-ip', false],
  ])('allowsAddress(%j) = %s', (ip, expected) => {
    expect(list.allowsAddress(ip)).toBe(expected);
  });

  it('masks host bits and accepts /0', () => {
    expect(parseAllowList(['10.9.9.9/8']).allowsAddress('10.200.0.1')).toBe(true);
    expect(parseAllowList(['0.0.0.0/0']).allowsAddress('127.0.0.1')).toBe(true);
    expect(parseAllowList(['::/0']).allowsAddress('fe80::1')).toBe(true);
    expect(parseAllowList(['::ffff:0:0/96']).allowsAddress('127.0.0.1')).toBe(true);
  });

  it('is empty for no entries', () => {
    const empty = parseAllowList([]);
    expect(empty.allowsHost('localhost')).toBe(false);
    expect(empty.allowsAddress('127.0.0.1')).toBe(false);
  });

  it.each([
    '',
    '   ',
    'exa mple.com',
    'http://example.com',
    'example.com:8080',
    '-bad.example',
    'bad-.example',
    '*.',
    '*',
    'a.*.example',
    '10.0.0.0/33',
    '10.0.0.0/',
    '10.0.0.0/-1',
    '10.0.0.0/8/8',
    'fd00::/129',
    'nothost/8',
    '999.1.1.1',
    '10.1',
    '0x7f.1',
    `${'a'.repeat(64)}.example`,
  ])('rejects %j naming the entry', (entry) => {
    expect(() => parseAllowList([entry])).toThrow(`invalid allowed_hosts entry ${JSON.stringify(entry)}`);
  });

  it('rejects non-string entries', () => {
    expect(() => parseAllowList([42 as unknown as string])).toThrow('invalid allowed_hosts entry 42');
  });
});

describe('checkAddress', () => {
  it('allows public addresses', () => {
    expect(checkAddress(STRICT, 'example.com', '93.184.216.34')).toBeNull();
  });

  it('refuses private addresses with an actionable reason that does not name the address', () => {
    expect(checkAddress(STRICT, 'hooks.example', '10.0.0.5')).toBe(
      'refused: hooks.example resolves to a private or reserved address; set allow_private_urls or add it to allowed_hosts',
    );
    expect(checkAddress(STRICT, '10.0.0.5', '10.0.0.5')).toBe(
      'refused: 10.0.0.5 is a private or reserved address; set allow_private_urls or add it to allowed_hosts',
    );
  });

  it('allow_private_urls turns the guard off', () => {
    expect(checkAddress({ allow_private_urls: true, allowed_hosts: [] }, 'x', '127.0.0.1')).toBeNull();
  });

  it('allowed_hosts matches by hostname or by address', () => {
    expect(checkAddress({ allow_private_urls: false, allowed_hosts: ['hooks.internal'] }, 'hooks.internal', '10.0.0.5')).toBeNull();
    expect(checkAddress({ allow_private_urls: false, allowed_hosts: ['10.0.0.0/24'] }, 'any.name', '10.0.0.5')).toBeNull();
    expect(checkAddress({ allow_private_urls: false, allowed_hosts: ['10.0.0.0/24'] }, 'any.name', '10.0.1.5')).toContain(
      'resolves to a private or reserved address',
    );
  });

  it('throws on an invalid allowed_hosts entry', () => {
    expect(() => checkAddress({ allow_private_urls: false, allowed_hosts: ['a b'] }, 'x', '8.8.8.8')).toThrow('"a b"');
  });
});

describe('createGuardedLookup', () => {
  const table = {
    'public.example': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
    'private.example': ['10.0.0.5'],
    'mixed.example': ['93.184.216.34', '127.0.0.1'],
    'metadata.example': ['169.254.169.254'],
    'mapped.example': ['::ffff:7f00:1'],
  };

  it('all: true passes every address through when all are public, asking the resolver for all', async () => {
    const calls: dns.LookupOptions[] = [];
    const lookup = createGuardedLookup(STRICT, fakeLookup(table, calls));
    const { err, address } = await runLookup(lookup, 'public.example', { all: true, family: 0 });
    expect(err).toBeNull();
    expect(address).toEqual([
      { address: '93.184.216.34', family: 4 },
      { address: '2606:2800:220:1:248:1893:25c8:1946', family: 6 },
    ]);
    expect(calls).toEqual([{ all: true, family: 0 }]);
  });

  it('all: false returns (null, address, family) of the first address', async () => {
    const calls: dns.LookupOptions[] = [];
    const lookup = createGuardedLookup(STRICT, fakeLookup(table, calls));
    const result = await runLookup(lookup, 'public.example', { family: 0 });
    expect(result).toEqual({ err: null, address: '93.184.216.34', family: 4 });
    // still resolves all so that every address is checked
    expect(calls[0].all).toBe(true);
  });

  it.each([
    ['private.example', { all: true }, '10.0.0.5', 'private address 10.0.0.5'],
    ['private.example', { all: false }, '10.0.0.5', 'private address 10.0.0.5'],
    ['mixed.example', { all: true }, '127.0.0.1', 'loopback address 127.0.0.1'],
    ['mixed.example', {}, '127.0.0.1', 'loopback address 127.0.0.1'],
    ['metadata.example', { all: true }, '169.254.169.254', 'cloud metadata address 169.254.169.254'],
    ['mapped.example', { all: true }, '::ffff:7f00:1', 'loopback address 127.0.0.1 (IPv4-mapped ::ffff:7f00:1)'],
  ])('refuses %s (%j) if any address is blocked, naming the address only in the error\'s detail', async (host, options, address, detail) => {
    const lookup = createGuardedLookup(STRICT, fakeLookup(table));
    const { err } = await runLookup(lookup, host, options);
    expect(err).toBeInstanceOf(SsrfBlockedError);
    expect(err?.code).toBe(SSRF_ERROR_CODE);
    expect(err?.message).toBe(`refused: ${host} resolves to a private or reserved address; set allow_private_urls or add it to allowed_hosts`);
    expect(err).toMatchObject({ hostname: host, address, detail });
    expect(isSsrfError(err)).toBe(true);
  });

  it('lets allow-listed hosts and addresses through', async () => {
    const byName = createGuardedLookup({ allow_private_urls: false, allowed_hosts: ['*.example'] }, fakeLookup(table));
    expect((await runLookup(byName, 'private.example', { all: true })).address).toEqual([{ address: '10.0.0.5', family: 4 }]);
    const byCidr = createGuardedLookup({ allow_private_urls: false, allowed_hosts: ['10.0.0.0/8'] }, fakeLookup(table));
    expect(await runLookup(byCidr, 'private.example', {})).toEqual({ err: null, address: '10.0.0.5', family: 4 });
    // one allowed address does not excuse another blocked one
    const partial = createGuardedLookup({ allow_private_urls: false, allowed_hosts: ['93.184.216.34'] }, fakeLookup(table));
    expect(isSsrfError((await runLookup(partial, 'mixed.example', { all: true })).err)).toBe(true);
  });

  it('allow_private_urls lets everything through', async () => {
    const lookup = createGuardedLookup({ allow_private_urls: true, allowed_hosts: [] }, fakeLookup(table));
    expect(await runLookup(lookup, 'mixed.example', {})).toEqual({ err: null, address: '93.184.216.34', family: 4 });
  });

  it('passes resolver errors through untouched', async () => {
    const lookup = createGuardedLookup(STRICT, fakeLookup(table));
    const { err } = await runLookup(lookup, 'nowhere.example', { all: true });
    expect(err?.code).toBe('ENOTFOUND');
    expect(isSsrfError(err)).toBe(false);
  });

  it('supports the (hostname, family, callback) and (hostname, callback) call forms', async () => {
    const lookup = createGuardedLookup(STRICT, fakeLookup(table)) as unknown as (...args: unknown[]) => void;
    const withFamily = await new Promise((resolve) => lookup('public.example', 4, (...args: unknown[]) => resolve(args)));
    expect(withFamily).toEqual([null, '93.184.216.34', 4]);
    const bare = await new Promise((resolve) => lookup('private.example', (...args: unknown[]) => resolve(args)));
    expect(isSsrfError((bare as unknown[])[0])).toBe(true);
  });

  it('copes with a resolver that ignores all: true and answers with one address', async () => {
    const single: LookupFunction = (_h, _o, cb) => setImmediate(() => cb(null, '192.168.0.9', 4));
    const refused = await runLookup(createGuardedLookup(STRICT, single), 'x.example', { all: true });
    expect(refused.err).toMatchObject({ code: SSRF_ERROR_CODE, address: '192.168.0.9', detail: 'private address 192.168.0.9' });
    const allowed = createGuardedLookup({ allow_private_urls: false, allowed_hosts: ['192.168.0.0/16'] }, single);
    expect((await runLookup(allowed, 'x.example', { all: true })).address).toEqual([{ address: '192.168.0.9', family: 4 }]);
  });

  it('throws at creation on an invalid allowed_hosts entry', () => {
    expect(() => createGuardedLookup({ allow_private_urls: false, allowed_hosts: ['10.0.0.0/40'] })).toThrow('10.0.0.0/40');
  });
});

describe('checkUrlTarget', () => {
  const lookupFn = fakeLookup({
    'public.example': ['93.184.216.34'],
    'private.example': ['93.184.216.34', '10.0.0.5'],
  });

  it.each([
    ['https://public.example/hook', null, null],
    ['https://private.example/hook', 'refused: private.example resolves to a private or reserved address', 'private address 10.0.0.5'],
    ['http://127.0.0.1:8080/', 'refused: 127.0.0.1 is a private or reserved address', 'loopback address 127.0.0.1'],
    ['http://2130706433/', 'refused: 127.0.0.1 is a private', 'loopback address 127.0.0.1'], // WHATWG URL normalizes numeric hosts
    ['http://0x7f.1/', 'refused: 127.0.0.1 is a private', 'loopback address 127.0.0.1'],
    ['http://[::1]/', 'refused: ::1 is a private', 'loopback address ::1'],
    ['http://[::ffff:169.254.169.254]/', 'refused: ::ffff:a9fe:a9fe is a private', 'cloud metadata address 169.254.169.254'],
    ['http://[fd00:ec2::254]/', 'refused: fd00:ec2::254 is a private', 'cloud metadata address'],
    ['http://localhost./', 'refused: localhost. resolves to a private', 'loopback address 127.0.0.1'],
    ['http://8.8.8.8/', null, null],
    ['http://[2606:4700:4700::1111]/', null, null],
  ])('%s -> %s (detail: %s)', async (url, expected, detail) => {
    const result = await checkUrlTarget(STRICT, new URL(url), lookupFn);
    const refusal = await urlTargetRefusal(STRICT, new URL(url), lookupFn);
    if (expected === null) {
      expect(result).toBeNull();
      expect(refusal).toBeNull();
    } else {
      expect(result).toContain(expected);
      expect(refusal?.message).toBe(result);
      expect(refusal?.detail).toContain(detail);
    }
  });

  it('does not resolve allow-listed names, and honours allow_private_urls', async () => {
    const calls: dns.LookupOptions[] = [];
    const spy = fakeLookup({ 'private.example': ['10.0.0.5'] }, calls);
    expect(await checkUrlTarget({ allow_private_urls: false, allowed_hosts: ['private.example'] }, new URL('http://private.example/'), spy)).toBeNull();
    expect(await checkUrlTarget({ allow_private_urls: true, allowed_hosts: [] }, new URL('http://private.example/'), spy)).toBeNull();
    expect(await checkUrlTarget({ allow_private_urls: false, allowed_hosts: ['::1'] }, new URL('http://[::1]:9/'), spy)).toBeNull();
    expect(calls).toEqual([]);
  });

  it('rejects with the resolver error when the name does not resolve', async () => {
    await expect(checkUrlTarget(STRICT, new URL('http://nowhere.example/'), lookupFn)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('uses dns.lookup by default (localhost is loopback)', async () => {
    expect(await checkUrlTarget(STRICT, new URL('http://localhost/'))).toMatch(/^refused: localhost resolves to a private or reserved address;/);
  });
});

describe('refusals never name the address a name resolves to (no DNS oracle)', () => {
  // Internal names as a customer might probe them; each resolves somewhere the guard refuses.
  const table: Record<string, string[]> = {
    'some-internal-name': ['10.20.30.40'],
    'db.corp': ['172.20.1.99'],
    'v6.corp': ['fd12:3456:789a::7'],
    'mapped.corp': ['::ffff:192.168.77.1'],
    'meta.corp': ['169.254.169.254'],
    'half.corp': ['93.184.216.34', '100.64.3.4'],
  };
  const lookupFn = fakeLookup(table);
  const leaks = (text: string, host: string) => {
    for (const address of table[host]) expect(text).not.toContain(address);
    // neither the range nor any dotted quad or IPv6 group that DNS answered
    expect(text).not.toMatch(/\d+\.\d+\.\d+\.\d+|[0-9a-f]*::[0-9a-f]|private address|loopback|link-local|metadata|unique local|carrier-grade/i);
  };

  afterEach(() => {
    logged.length = 0;
  });

  it.each(Object.keys(table))('checkUrlTarget(%s) says only that it resolves to a private or reserved address', async (host) => {
    const message = await checkUrlTarget(STRICT, new URL(`https://${host}/hook`), lookupFn);
    expect(message).toBe(`refused: ${host} resolves to a private or reserved address; set allow_private_urls or add it to allowed_hosts`);
    leaks(message!, host);
    // the detail is there for the server log
    const refusal = await urlTargetRefusal(STRICT, new URL(`https://${host}/hook`), lookupFn);
    expect(table[host]).toContain(refusal?.address);
    expect(refusal?.detail).toContain(refusal?.address);
  });

  it.each(Object.keys(table))('the guarded lookup refuses %s with the same message, and logs the address', async (host) => {
    const { err } = await runLookup(createGuardedLookup(STRICT, lookupFn), host, { all: true });
    expect(isSsrfError(err)).toBe(true);
    leaks(err!.message, host);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain(host);
    expect(logged[0]).toContain((err as SsrfBlockedError).address);
  });

  it('the connector (through undici) refuses a name the same way', async () => {
    const agent = new Agent({ connect: createGuardedConnector(STRICT, { lookupFn }) });
    try {
      const err = await request('http://some-internal-name:9/hook', { dispatcher: agent }).then(() => undefined, (e: unknown) => e);
      expect(findSsrfError(err)?.message).toBe('refused: some-internal-name resolves to a private or reserved address; set allow_private_urls or add it to allowed_hosts');
      leaks(String((err as Error).message), 'some-internal-name');
    } finally {
      await agent.close();
    }
  });
});

describe('isSsrfError / findSsrfError', () => {
  const blocked = new SsrfBlockedError('refused: x', 'x', '10.0.0.1');

  it.each([
    ['the error itself', blocked, true],
    ['a plain object with the code', { code: SSRF_ERROR_CODE }, true],
    ['one level of cause', new TypeError('fetch failed', { cause: blocked }), true],
    ['two levels of cause', new Error('a', { cause: new Error('b', { cause: blocked }) }), true],
    ['inside an AggregateError', new AggregateError([new Error('x'), blocked]), true],
    ['an unrelated error', new Error('ECONNREFUSED'), false],
    ['null', null, false],
    ['a string', 'ERR_WEBHOOK_SSRF', false],
  ])('%s -> %s', (_label, err, expected) => {
    expect(isSsrfError(err)).toBe(expected);
  });

  it('returns the guard error and survives cause cycles', () => {
    expect(findSsrfError(new Error('outer', { cause: blocked }))).toBe(blocked);
    const a = new Error('a') as Error & { cause?: unknown };
    const b = new Error('b', { cause: a });
    a.cause = b;
    expect(findSsrfError(a)).toBeUndefined();
  });
});

describe('undici round-trip', () => {
  let server: Server;
  let port: number;
  const agents: Agent[] = [];

  /** An Agent whose connections resolve names through the guard; tracked so afterAll can close it. */
  function guardedAgent(policy: SsrfPolicy, extra: Record<string, unknown> = {}): Agent {
    const agent = new Agent({ connect: { lookup: createGuardedLookup(policy), ...extra } });
    agents.push(agent);
    return agent;
  }

  beforeAll(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await Promise.all(agents.map((agent) => agent.close()));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('refuses http://localhost with ERR_WEBHOOK_SSRF, surfaced unwrapped by request()', async () => {
    const dispatcher = guardedAgent(STRICT);
    const err = await request(`http://localhost:${port}/`, { dispatcher }).then(
      () => undefined,
      (e: unknown) => e,
    );
    // undici request() rejects with the lookup's own error object: net destroys the socket with it and undici
    // forwards the connect error unchanged.
    expect(err).toBeInstanceOf(SsrfBlockedError);
    expect((err as SsrfBlockedError).code).toBe('ERR_WEBHOOK_SSRF');
    expect((err as Error).message).toMatch(/^refused: localhost resolves to a private or reserved address;/);
    expect(isSsrfError(err)).toBe(true);
  });

  it('fetch() wraps the refusal in TypeError("fetch failed") with the guard error as cause', async () => {
    const dispatcher = guardedAgent(STRICT);
    const err = await fetch(`http://localhost:${port}/`, { dispatcher }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).cause).toBeInstanceOf(SsrfBlockedError);
    expect(isSsrfError(err)).toBe(true);
  });

  it('refuses through the all: false path too (autoSelectFamily off)', async () => {
    const dispatcher = guardedAgent(STRICT, { autoSelectFamily: false });
    await expect(request(`http://localhost:${port}/`, { dispatcher })).rejects.toMatchObject({ code: SSRF_ERROR_CODE });
  });

  it.each([['localhost'], ['127.0.0.1/32'], ['127.0.0.1']])('connects when allowed_hosts has %s', async (entry) => {
    // Resolve localhost as IPv4 only: the server listens on 127.0.0.1 and localhost may also resolve to ::1.
    const dispatcher = guardedAgent({ allow_private_urls: false, allowed_hosts: [entry] }, { family: 4 });
    const res = await request(`http://localhost:${port}/`, { dispatcher });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok');
  });

  it('connects when allow_private_urls is true', async () => {
    const dispatcher = guardedAgent({ allow_private_urls: true, allowed_hosts: [] }, { family: 4 });
    const res = await request(`http://localhost:${port}/`, { dispatcher });
    expect(await res.body.text()).toBe('ok');
  });

  it('does not see IP-literal hosts (Node skips lookup for them): checkUrlTarget covers that', async () => {
    const dispatcher = guardedAgent(STRICT);
    const url = `http://127.0.0.1:${port}/`;
    const res = await request(url, { dispatcher });
    expect(await res.body.text()).toBe('ok');
    expect(await checkUrlTarget(STRICT, new URL(url))).toContain('refused: 127.0.0.1 is a private or reserved address');
  });

  describe('createGuardedConnector', () => {
    function connectorAgent(policy: SsrfPolicy): Agent {
      const agent = new Agent({ connect: createGuardedConnector(policy, { family: 4 }) });
      agents.push(agent);
      return agent;
    }

    it('refuses IP-literal and named private hosts', async () => {
      const dispatcher = connectorAgent(STRICT);
      await expect(request(`http://127.0.0.1:${port}/`, { dispatcher })).rejects.toMatchObject({
        code: SSRF_ERROR_CODE,
        message: expect.stringContaining('refused: 127.0.0.1 is a private or reserved address'),
      });
      await expect(request(`http://[::1]:${port}/`, { dispatcher })).rejects.toMatchObject({ code: SSRF_ERROR_CODE });
      await expect(request(`http://localhost:${port}/`, { dispatcher })).rejects.toMatchObject({ code: SSRF_ERROR_CODE });
    });

    it('connects when allowed', async () => {
      const dispatcher = connectorAgent({ allow_private_urls: false, allowed_hosts: ['127.0.0.0/8'] });
      expect(await (await request(`http://127.0.0.1:${port}/`, { dispatcher })).body.text()).toBe('ok');
      expect(await (await request(`http://localhost:${port}/`, { dispatcher })).body.text()).toBe('ok');
    });
  });
});
