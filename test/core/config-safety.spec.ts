import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { InvalidWebhookConfigError } from '../../lib';
import { resolveWebhookConfig } from '../../lib/config';

function refusal(options: Record<string, unknown>): InvalidWebhookConfigError {
  try {
    resolveWebhookConfig(options as never);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidWebhookConfigError);
    return err as InvalidWebhookConfigError;
  }
  throw new Error(`accepted ${JSON.stringify(options)}`);
}

describe('config keys of the safe-to-adopt and signing work', () => {
  it('defaults to closed and conservative values', () => {
    const c = resolveWebhookConfig({});
    expect(c).toMatchObject({
      admin_allow_unguarded: false,
      admin_allowed_origins: [],
      keep_alive_max_timeout_seconds: 30,
      secret_encryption_keys: [],
      signature_type: 'hmac-sha256',
    });
  });

  it('accepts origins and refuses anything that is not a bare origin, naming admin_allowed_origins', () => {
    expect(resolveWebhookConfig({ admin_allowed_origins: ['https://admin.example.com', 'http://127.0.0.1:4200'] }).admin_allowed_origins).toHaveLength(2);
    for (const bad of [['https://admin.example.com/'], ['https://admin.example.com/path'], ['admin.example.com'], ['javascript:alert(1)'], 'https://a.example']) {
      const err = refusal({ admin_allowed_origins: bad });
      expect(err.key).toBe('admin_allowed_origins');
    }
  });

  it('accepts base64 keys of 32 bytes and refuses short, mangled or repeated ones without echoing them', () => {
    const key = randomBytes(32).toString('base64');
    expect(resolveWebhookConfig({ secret_encryption_keys: [key, randomBytes(32).toString('base64')] }).secret_encryption_keys[0]).toBe(key);
    const cases: unknown[] = [[randomBytes(16).toString('base64')], [key.slice(0, -2)], [key.replace(/.$/, '!')], [key, key], [''], 'one-key'];
    for (const bad of cases) {
      const err = refusal({ secret_encryption_keys: bad });
      expect(err.key).toBe('secret_encryption_keys');
      // A key is a secret: the message says what is wrong, never the value.
      expect(err.message).not.toContain(key);
    }
    expect(refusal({ secret_encryption_keys: [key.slice(0, 20)] }).message).toMatch(/openssl rand -base64 32/);
  });

  it('refuses ed25519 with the body-hmac scheme, and an unknown signature_type', () => {
    expect(resolveWebhookConfig({ signature_type: 'ed25519' }).signature_type).toBe('ed25519');
    expect(refusal({ signature_type: 'ed25519', signature_scheme: 'body-hmac' }).key).toBe('signature_type');
    expect(refusal({ signature_type: 'rsa' }).message).toMatch(/'hmac-sha256', 'ed25519'/);
  });

  it('refuses a keep-alive bound that is not a positive number', () => {
    expect(refusal({ keep_alive_max_timeout_seconds: 0 }).key).toBe('keep_alive_max_timeout_seconds');
    expect(refusal({ admin_allow_unguarded: 'yes' }).key).toBe('admin_allow_unguarded');
  });
});
