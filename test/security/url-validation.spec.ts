import { describe, expect, it } from '@jest/globals';
import { InvalidWebhookURLError } from '../../lib/domain/webhook.error';
import { DEFAULT_MAX_WEBHOOK_URL_LENGTH, validateWebhookUrl } from '../../lib/security';

function rejection(input: unknown, opts?: { max_length?: number }): InvalidWebhookURLError {
  try {
    validateWebhookUrl(input as string, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidWebhookURLError);
    return err as InvalidWebhookURLError;
  }
  throw new Error(`expected ${JSON.stringify(input)} to be rejected`);
}

describe('validateWebhookUrl', () => {
  it.each([
    ['https://example.com/webhooks', 'https://example.com/webhooks'],
    ['http://example.com', 'http://example.com/'],
    ['HTTPS://Example.COM:8443/a/b?x=1&y=2', 'https://example.com:8443/a/b?x=1&y=2'],
    ['https://hooks.example.com/path%20with%20escapes', 'https://hooks.example.com/path%20with%20escapes'],
    ['https://bücher.example/', 'https://xn--bcher-kva.example/'],
    ['http://10.0.0.5:8080/hook', 'http://10.0.0.5:8080/hook'], // address policy is checkUrlTarget's job
    ['http://[::1]/', 'http://[::1]/'],
    ['http://localhost:3000/', 'http://localhost:3000/'],
  ])('accepts %s', (input, href) => {
    const url = validateWebhookUrl(input);
    expect(url).toBeInstanceOf(URL);
    expect(url.href).toBe(href);
  });

  it.each([
    [undefined, 'must be a string'],
    [null, 'must be a string, got null'],
    [42, 'must be a string, got number'],
    [{}, 'must be a string'],
    ['', 'is empty'],
    ['not a url', 'whitespace'],
    ['example.com/webhooks', 'cannot be parsed'],
    ['/relative/path', 'cannot be parsed'],
    ['https://', 'cannot be parsed'],
    ['http://exa[mple.com/', 'cannot be parsed'],
    ['ftp://example.com/', 'scheme must be http or https, not ftp'],
    ['file:///etc/passwd', 'scheme must be http or https, not file'],
    ['javascript:alert(1)', 'scheme must be http or https, not javascript'],
    ['ws://example.com/', 'not ws'],
    ['https://user:pass@example.com/', 'must not contain credentials'],
    ['https://user@example.com/', 'must not contain credentials'],
    ['https://:pass@example.com/', 'must not contain credentials'],
    ['https://example.com/#section', 'remove the #fragment'],
    ['https://example.com/#', 'remove the #fragment'],
    ['https://example.com/a?b=1#c', 'remove the #fragment'],
    [' https://example.com/', 'whitespace or a control character (U+0020 at position 0)'],
    ['https://example.com/ ', 'U+0020'],
    ['https://exa mple.com/', 'U+0020'],
    ['https://example.com/\n', 'U+000A'],
    ['https://example.com/a\tb', 'U+0009'],
    ['https://example.com/\r\nX-Injected: 1', 'U+000D'],
    ['https://example.com/\u0000', 'U+0000'],
    ['https://example.com/\u007f', 'U+007F'],
    ['https://example.com/\u0085', 'U+0085'],
    ['https://example.com/\u00a0', 'U+00A0'],
    ['https://example.com/\u2028', 'U+2028'],
  ])('rejects %j (%s)', (input, reason) => {
    const err = rejection(input);
    expect(err.code).toBe('INVALID_WEBHOOK_URL');
    expect(err.message).toContain(reason);
  });

  it('rejects URLs over 2048 characters by default and accepts exactly 2048', () => {
    const base = 'https://example.com/';
    const exact = base + 'a'.repeat(DEFAULT_MAX_WEBHOOK_URL_LENGTH - base.length);
    expect(exact).toHaveLength(2048);
    expect(validateWebhookUrl(exact).href).toBe(exact);
    const err = rejection(exact + 'a');
    expect(err.message).toContain('is 2049 characters long; the maximum is 2048');
    // the message stays short enough to log
    expect(err.message.length).toBeLessThan(200);
  });

  it('honours max_length', () => {
    expect(rejection('https://example.com/long', { max_length: 20 }).message).toContain('maximum is 20');
    expect(validateWebhookUrl('https://example.com/long', { max_length: 30 }).hostname).toBe('example.com');
  });

  it('names the URL in the message and keeps it on the error', () => {
    const err = rejection('ftp://example.com/');
    expect(err.url).toBe('ftp://example.com/');
    expect(err.message).toBe('invalid webhook URL "ftp://example.com/": scheme must be http or https, not ftp');
  });
});
