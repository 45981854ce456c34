import { describe, expect, it } from '@jest/globals';
import { generateWebhookSecret, InvalidWebhookReceiverOptionError, MemoryReplayStore, type WebhookReceiverOptions } from '../../lib';
import { resolveReceiverOptions } from '../../lib/receiver/webhook-receiver.options';

const SECRET = generateWebhookSecret();
const PUBLIC_KEY = 'whpk_' + Buffer.alloc(32, 7).toString('base64');

function problem(options: unknown): string {
  try {
    resolveReceiverOptions(options as WebhookReceiverOptions);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidWebhookReceiverOptionError);
    return (err as Error).message;
  }
  throw new Error('expected the options to be refused');
}

describe('resolveReceiverOptions', () => {
  it('fills in the defaults', () => {
    const config = resolveReceiverOptions({ secrets: SECRET });
    expect(config).toMatchObject({
      keys: [SECRET],
      secret_resolver: null,
      scheme: 'standard-webhooks',
      signature_algorithm: 'sha256',
      signature_header: 'webhook-signature',
      event_id_header: 'webhook-id',
      timestamp_header: 'webhook-timestamp',
      event_type_header: 'webhook-event-type',
      tolerance_seconds: 300,
    });
    expect(config.replay_store).toBeInstanceOf(MemoryReplayStore);
  });

  it('takes several keys, mixing whsec_ and whpk_, and lower-cases header names', () => {
    const other = generateWebhookSecret();
    const config = resolveReceiverOptions({ secrets: [SECRET, PUBLIC_KEY, other, SECRET], signature_header: 'X-Sig' });
    expect(config.keys).toEqual([SECRET, PUBLIC_KEY, other]);
    expect(config.signature_header).toBe('x-sig');
  });

  it('needs exactly one of secrets and secret_resolver', () => {
    expect(problem({})).toMatch(/"secrets": missing: give the key\(s\)/);
    expect(problem({ secrets: SECRET, secret_resolver: () => SECRET })).toMatch(/"secrets": give secrets or secret_resolver, not both/);
    expect(problem({ secrets: [] })).toMatch(/"secrets": is empty/);
    expect(problem({ secret_resolver: 'whsec_x' })).toMatch(/"secret_resolver": must be a function/);
    expect(resolveReceiverOptions({ secret_resolver: () => SECRET }).keys).toBeNull();
  });

  it('refuses malformed keys naming the entry, without quoting them', () => {
    const cut = SECRET.slice(0, 12);
    const message = problem({ secrets: [SECRET, cut] });
    expect(message).toMatch(/"secrets": entry 1 is malformed: a whsec_ secret is whsec_ followed by the base64 of at least 16 bytes/);
    expect(message).not.toContain(cut);
    expect(problem({ secrets: 'whpk_abc' })).toMatch(/the key is malformed: a whpk_ public key is whpk_ followed by the base64 of 32 bytes/);
    expect(problem({ secrets: [''] })).toMatch(/entry 0 must be a non-empty string/);
    expect(problem({ secrets: 42 })).toMatch(/must be a key string or an array/);
  });

  it("refuses the sender's whsk_ signing key, and a whpk_ key with body-hmac", () => {
    expect(problem({ secrets: 'whsk_' + Buffer.alloc(64).toString('base64') })).toMatch(/whsk_ key, the signing key that stays with the sender: verify with its whpk_ public key/);
    expect(problem({ scheme: 'body-hmac', secrets: PUBLIC_KEY })).toMatch(/body-hmac scheme is HMAC only/);
    expect(resolveReceiverOptions({ scheme: 'body-hmac', secrets: 'any github secret' }).keys).toEqual(['any github secret']);
    expect(problem({ scheme: 'body-hmac', secrets: 'gh-secret' })).toMatch(/at least 16 characters/);
  });

  it('checks scheme, algorithm, headers, tolerance, replay_store, and unknown keys', () => {
    expect(problem({ secrets: SECRET, scheme: 'github' })).toMatch(/"scheme": must be 'standard-webhooks' or 'body-hmac'/);
    expect(problem({ secrets: SECRET, signature_algorithm: 'sha512' })).toMatch(/"signature_algorithm": .*needs scheme 'body-hmac'/);
    expect(resolveReceiverOptions({ scheme: 'body-hmac', secrets: 'gh-secret-of-16-chars', signature_algorithm: 'sha512' }).signature_algorithm).toBe('sha512');
    expect(problem({ secrets: SECRET, timestamp_header: 'bad header' })).toMatch(/"timestamp_header": must be a valid HTTP header name/);
    expect(problem({ secrets: SECRET, tolerance_seconds: -1 })).toMatch(/"tolerance_seconds": must be a number of seconds > 0/);
    expect(problem({ secrets: SECRET, replay_store: new Map() })).toMatch(/"replay_store": must implement WebhookReplayStore/);
    expect(problem({ secret: SECRET })).toMatch(/"secret": unknown option/);
    expect(problem(undefined)).toMatch(/no options given/);
  });

  it('keeps the replay store it is given', () => {
    const store = { remember: async () => true };
    expect(resolveReceiverOptions({ secrets: SECRET, replay_store: store }).replay_store).toBe(store);
  });
});
