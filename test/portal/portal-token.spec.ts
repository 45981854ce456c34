import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { portalSigningKey, PORTAL_TOKEN_MAX_LENGTH, readPortalToken, signPortalToken } from '../../lib/portal/portal-token';

const key = portalSigningKey('a-portal-secret-of-at-least-32-characters');
const claims = { tenant_id: 'tenant-a', issued_at: 1_700_000_000_000, expires_at: 1_700_000_360_000, read_only: true };

describe('portal tokens', () => {
  it('reads back what it signed', () => {
    expect(readPortalToken(signPortalToken(claims, key), key)).toEqual(claims);
  });

  it('refuses a token signed with another secret', () => {
    expect(readPortalToken(signPortalToken(claims, portalSigningKey('another-portal-secret-of-32-characters!')), key)).toBeNull();
  });

  it('refuses every one-character change of a token', () => {
    const token = signPortalToken(claims, key);
    for (let i = 0; i < token.length; i++) {
      const swapped = token[i] === 'A' ? 'B' : 'A';
      const tampered = token.slice(0, i) + swapped + token.slice(i + 1);
      expect(readPortalToken(tampered, key)).toBeNull();
    }
  });

  it('refuses another spelling of the same signature (the unused bits of its last character)', () => {
    const token = signPortalToken(claims, key);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token[token.length - 1]);
    const respelled = token.slice(0, -1) + alphabet[last ^ 1];
    expect(Buffer.from(respelled.split('.')[1], 'base64url')).toEqual(Buffer.from(token.split('.')[1], 'base64url'));
    expect(readPortalToken(respelled, key)).toBeNull();
  });

  it('refuses a signed payload that is not the claims (wrong version, types, tenant length)', () => {
    const sign = (payload: unknown) => {
      const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
      return `${p}.${createHmac('sha256', key).update(p).digest('base64url')}`;
    };
    expect(readPortalToken(sign({ v: 1, t: 'x', iat: 1, exp: 2, ro: false }), key)).toEqual({ tenant_id: 'x', issued_at: 1, expires_at: 2, read_only: false });
    expect(readPortalToken(sign({ v: 2, t: 'x', iat: 1, exp: 2, ro: false }), key)).toBeNull();
    expect(readPortalToken(sign({ v: 1, t: '', iat: 1, exp: 2, ro: false }), key)).toBeNull();
    expect(readPortalToken(sign({ v: 1, t: 'x', iat: '1', exp: 2, ro: false }), key)).toBeNull();
    expect(readPortalToken(sign({ v: 1, t: 'x', iat: 1, exp: 2, ro: 'no' }), key)).toBeNull();
    expect(readPortalToken(sign([1, 2]), key)).toBeNull();
    expect(readPortalToken(sign(null), key)).toBeNull();
  });

  it('refuses garbage without throwing, and anything longer than the bound before any work', () => {
    for (const junk of ['', '.', 'abc', 'a.b', 'a'.repeat(5000), `${'a'.repeat(PORTAL_TOKEN_MAX_LENGTH)}.${'b'.repeat(43)}`, null, 42, {}, 'é.é']) {
      expect(readPortalToken(junk, key)).toBeNull();
    }
  });
});
