import { describe, expect, it } from '@jest/globals';
import { canonicalOrigin, crossSiteProblem, type RequestHeaders } from '../../lib/admin/csrf';
import { requestOrigin } from '../../lib/admin/request-origin';

const OWN = 'https://app.example.com';
const ALLOWED = ['https://admin.example.com'];
const JSON_BODY = { 'content-type': 'application/json', 'content-length': '2' };

const verdict = (method: string, headers: RequestHeaders, allowed: readonly string[] = ALLOWED) => crossSiteProblem(method, headers, OWN, allowed)?.status ?? 'ok';

describe('crossSiteProblem', () => {
  it('never checks GET, HEAD and OPTIONS', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS', 'get']) {
      expect(verdict(method, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'text/plain', 'content-length': '3' })).toBe('ok');
    }
  });

  it.each<[string, RequestHeaders, 403 | 415 | 'ok']>([
    ['an API client: no Origin, no Sec-Fetch-Site, JSON', JSON_BODY, 'ok'],
    ['an API client: no body, no Content-Type', {}, 'ok'],
    ['an API client: Content-Length 0, no Content-Type', { 'content-length': '0' }, 'ok'],
    ['same origin', { ...JSON_BODY, origin: OWN, 'sec-fetch-site': 'same-origin' }, 'ok'],
    ['same origin, with the default port spelt out and upper case', { ...JSON_BODY, origin: 'https://APP.example.com:443' }, 'ok'],
    ['Sec-Fetch-Site: none (address bar)', { ...JSON_BODY, 'sec-fetch-site': 'none' }, 'ok'],
    ['an allow-listed origin, cross-site', { ...JSON_BODY, origin: 'https://admin.example.com', 'sec-fetch-site': 'cross-site' }, 'ok'],
    ['an allow-listed origin, same-site', { ...JSON_BODY, origin: 'https://admin.example.com', 'sec-fetch-site': 'same-site' }, 'ok'],
    ['application/json with a charset', { 'content-type': 'application/json; charset=utf-8', 'content-length': '2' }, 'ok'],
    ['application/merge-patch+json', { 'content-type': 'application/merge-patch+json', 'content-length': '2' }, 'ok'],
    ['a foreign Origin', { ...JSON_BODY, origin: 'https://evil.example' }, 403],
    ['a foreign Origin without a body', { origin: 'https://evil.example' }, 403],
    ['another port of our host', { ...JSON_BODY, origin: 'https://app.example.com:8443' }, 403],
    ['our host over http', { ...JSON_BODY, origin: 'http://app.example.com' }, 403],
    ['Origin: null', { ...JSON_BODY, origin: 'null' }, 403],
    ['an Origin that is not a URL', { ...JSON_BODY, origin: 'app.example.com' }, 403],
    ['Sec-Fetch-Site: cross-site without Origin', { ...JSON_BODY, 'sec-fetch-site': 'cross-site' }, 403],
    ['Sec-Fetch-Site: same-site', { ...JSON_BODY, 'sec-fetch-site': 'same-site', origin: 'https://other.example.com' }, 403],
    ['Sec-Fetch-Site: cross-site with our own Origin', { ...JSON_BODY, 'sec-fetch-site': 'Cross-Site', origin: OWN }, 403],
    ['Sec-Fetch-Site: same-origin, Origin as a browser behind a TLS proxy sends it', { ...JSON_BODY, 'sec-fetch-site': 'same-origin', origin: 'https://app.example.com.internal' }, 'ok'],
    ['an unknown Sec-Fetch-Site value, a foreign Origin', { ...JSON_BODY, 'sec-fetch-site': 'elsewhere', origin: 'https://evil.example' }, 403],
    ['an unknown Sec-Fetch-Site value, our Origin', { ...JSON_BODY, 'sec-fetch-site': 'elsewhere', origin: OWN }, 'ok'],
    ['a form post', { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '5' }, 415],
    ['an empty form post', { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '0' }, 415],
    ['multipart', { 'content-type': 'multipart/form-data; boundary=x', 'content-length': '5' }, 415],
    ['text/plain', { 'content-type': 'text/plain', 'content-length': '5' }, 415],
    ['text/json', { 'content-type': 'text/json', 'content-length': '5' }, 415],
    ['application/jsonp', { 'content-type': 'application/jsonp', 'content-length': '5' }, 415],
    ['a body without a Content-Type', { 'content-length': '5' }, 415],
    ['a chunked body without a Content-Type', { 'transfer-encoding': 'chunked' }, 415],
    ['a same-origin form post', { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '5', origin: OWN, 'sec-fetch-site': 'same-origin' }, 415],
  ])('POST: %s -> %s', (_what, headers, expected) => {
    expect(verdict('POST', headers)).toBe(expected);
  });

  it('checks PATCH, DELETE and PUT the same way', () => {
    for (const method of ['PATCH', 'DELETE', 'PUT', 'delete']) {
      expect(verdict(method, { origin: 'https://evil.example' })).toBe(403);
      expect(verdict(method, { origin: OWN })).toBe('ok');
    }
  });

  it('says why and what to do, naming the allow-list key', () => {
    expect(crossSiteProblem('POST', { origin: 'https://evil.example' }, OWN, [])).toEqual({
      status: 403,
      code: 'CROSS_SITE_REQUEST',
      message: expect.stringMatching(/^cross-site request refused: Origin https:\/\/evil\.example is not this server's origin \(https:\/\/app\.example\.com\); add it to admin_allowed_origins/),
    });
    expect(crossSiteProblem('POST', { 'sec-fetch-site': 'cross-site' }, OWN, [], 'portal_allowed_origins')?.message).toContain('add its origin to portal_allowed_origins');
    expect(crossSiteProblem('POST', { 'content-type': 'text/plain', 'content-length': '1' }, OWN, [])).toEqual({
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: expect.stringContaining('unsupported Content-Type "text/plain": state-changing requests take a JSON body with Content-Type: application/json, or no body and no Content-Type'),
    });
  });

  it('refuses every Origin when the own origin is unknown, except allow-listed ones', () => {
    expect(crossSiteProblem('POST', { origin: OWN }, null, ALLOWED)?.status).toBe(403);
    expect(crossSiteProblem('POST', { origin: 'https://admin.example.com' }, null, ALLOWED)).toBeNull();
  });
});

describe('canonicalOrigin', () => {
  it('lower-cases, drops default ports and paths, and refuses what is not http(s)', () => {
    expect(canonicalOrigin('HTTPS://Example.COM:443')).toBe('https://example.com');
    expect(canonicalOrigin('http://example.com:8080/x')).toBe('http://example.com:8080');
    expect(canonicalOrigin('null')).toBeNull();
    expect(canonicalOrigin('file:///etc')).toBeNull();
    expect(canonicalOrigin(undefined)).toBeNull();
  });
});

describe('requestOrigin', () => {
  it("takes the framework's protocol and host (which honour its trust-proxy setting), else the socket and Host header", () => {
    expect(requestOrigin({ headers: { host: 'ignored' }, protocol: 'https', host: 'app.example.com' })).toBe('https://app.example.com');
    expect(requestOrigin({ headers: { host: '127.0.0.1:3000' } })).toBe('http://127.0.0.1:3000');
    expect(requestOrigin({ headers: { host: 'app.example.com' }, socket: { encrypted: true } })).toBe('https://app.example.com');
    expect(requestOrigin({ headers: { host: '[::1]:3000' } })).toBe('http://[::1]:3000');
  });

  it('is null without a usable Host', () => {
    expect(requestOrigin({ headers: {} })).toBeNull();
    expect(requestOrigin({ headers: { host: 'evil.example/@app.example.com' } })).toBeNull();
  });
});
