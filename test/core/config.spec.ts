import { describe, expect, it } from '@jest/globals';
import { DEFAULT_WEBHOOK_CONFIG, InvalidWebhookConfigError } from '../../lib';
import { resolveWebhookConfig } from '../../lib/config';
import { retryDelayMs } from '../../lib/delivery/engine/retry-policy';
import { parseRetryAfter } from '../../lib/delivery/http/retry-after';

describe('resolveWebhookConfig', () => {
  it('fills in the documented defaults', () => {
    const c = resolveWebhookConfig(undefined);
    expect(c).toMatchObject({
      store_backend: 'memory',
      retry_max_attempts: 5,
      retry_base_delay: 1,
      retry_max_delay: 60,
      retry_backoff_factor: 2,
      secret_length: 32,
      secret_rotation_grace_hours: 24,
      delivery_timeout_seconds: 30,
      disable_after_consecutive_failures: 50,
      failure_window_hours: 24,
      signature_algorithm: 'sha256',
      signature_scheme: 'standard-webhooks',
      enable_admin: false,
      delivery_log_retention_days: 30,
      signature_header: 'webhook-signature',
      event_type_header: 'webhook-event-type',
      event_id_header: 'webhook-id',
      timestamp_header: 'webhook-timestamp',
      allow_private_urls: false,
      max_payload_bytes: 262144,
      lease_seconds: 60,
      retry_cron: '* * * * * *',
      retention_cron: '0 0 * * * *',
      http_client: 'undici',
    });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.keys(DEFAULT_WEBHOOK_CONFIG).length).toBeGreaterThan(20);
  });

  it.each([
    [{ store_backend: 'redis' }, 'store_backend', /one of 'memory', 'typeorm'/],
    [{ retry_max_attempts: 0 }, 'retry_max_attempts', /integer >= 1/],
    [{ retry_base_delay: -1 }, 'retry_base_delay', /> 0/],
    [{ retry_max_delay: 0.5, retry_base_delay: 1 }, 'retry_max_delay', /retry_base_delay/],
    [{ retry_backoff_factor: 0.5 }, 'retry_backoff_factor', />= 1/],
    [{ secret_length: 8 }, 'secret_length', /between 16 and 64/],
    [{ signature_algorithm: 'md5' }, 'signature_algorithm', /'sha256', 'sha512'/],
    [{ signature_algorithm: 'sha512' }, 'signature_algorithm', /body-hmac/],
    [{ signature_header: 'bad header' }, 'signature_header', /header name/],
    [{ enable_admin: 'yes' }, 'enable_admin', /true or false/],
    [{ delivery_timeout_seconds: 10, lease_seconds: 5 }, 'lease_seconds', /longer than delivery_timeout_seconds/],
    [{ retry_max_attemps: 3 }, 'retry_max_attemps', /unknown key/],
    [{ delivery_log_retention_days: NaN }, 'delivery_log_retention_days', />= 0/],
    [{ retry_cron: 'every second' }, 'retry_cron', /not a valid cron expression/],
    [{ retry_cron: '' }, 'retry_cron', /cron expression/],
    [{ retention_cron: '* * * * * * * *' }, 'retention_cron', /not a valid cron expression/],
    [{ retention_cron: 3600 }, 'retention_cron', /cron expression/],
    [{ http_client: 'fetch' }, 'http_client', /'undici', 'http-service'/],
    [{ retry_poll_interval_ms: 50 }, 'retry_poll_interval_ms', /replaced by retry_cron/],
    [{ retention_interval_ms: 1000 }, 'retention_interval_ms', /replaced by retention_cron/],
  ])('refuses %j naming %s', (options, key, message) => {
    let error: unknown;
    try {
      resolveWebhookConfig(options as any);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidWebhookConfigError);
    expect((error as InvalidWebhookConfigError).key).toBe(key);
    expect((error as Error).message).toContain(`"${key}"`);
    expect((error as Error).message).toMatch(message);
  });

  it('accepts cron expressions with seconds (6 fields) or without (5 fields)', () => {
    expect(resolveWebhookConfig({ retry_cron: '*/5 * * * * *', retention_cron: '0 3 * * *' })).toMatchObject({ retry_cron: '*/5 * * * * *', retention_cron: '0 3 * * *' });
  });

  it('accepts sha512 with the body-hmac scheme and a lease derived from the timeout', () => {
    const c = resolveWebhookConfig({ signature_scheme: 'body-hmac', signature_algorithm: 'sha512', delivery_timeout_seconds: 5 });
    expect(c.signature_algorithm).toBe('sha512');
    expect(c.lease_seconds).toBe(10);
  });
});

describe('retry policy', () => {
  const config = resolveWebhookConfig({ retry_base_delay: 1, retry_backoff_factor: 2, retry_max_delay: 10, retry_jitter: 0 });

  it('grows exponentially and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => retryDelayMs(config, n))).toEqual([1000, 2000, 4000, 8000, 10000, 10000]);
  });

  it('spreads delays by the jitter, never past the cap', () => {
    const jittered = { ...config, retry_jitter: 0.2 };
    expect(retryDelayMs(jittered, 1, () => 0)).toBe(800);
    expect(retryDelayMs(jittered, 1, () => 1)).toBe(1200);
    expect(retryDelayMs(jittered, 10, () => 1)).toBe(10000);
  });

  it('parses Retry-After seconds and dates, capped at an hour', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('30', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('999999', now)).toBe(3_600_000);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });
});
