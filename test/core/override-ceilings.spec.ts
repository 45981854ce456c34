import { describe, expect, it } from '@jest/globals';
import { InvalidWebhookConfigError } from '../../lib';
import { resolveWebhookConfig } from '../../lib/config';
import { Capacity } from '../../lib/delivery/engine/capacity';
import { retryPolicyOf } from '../../lib/delivery/engine/retry-policy';
import { SendTimeouts } from '../../lib/delivery/engine/send-timeouts';
import type { WebhookSubscription } from '../../lib/domain/types';
import { overrideProblem } from '../../lib/subscriptions/subscription-validation';

describe('override ceilings: config', () => {
  it('are derived from the module config when not set', () => {
    expect(resolveWebhookConfig(undefined)).toMatchObject({ retry_max_attempts_ceiling: 25, delivery_timeout_seconds_ceiling: 60, max_concurrent_per_endpoint_ceiling: 32 });
    // never below the module's own values; half of max_concurrent_deliveries, at least 1
    expect(resolveWebhookConfig({ retry_max_attempts: 40, delivery_timeout_seconds: 90, max_concurrent_deliveries: 10 })).toMatchObject({
      retry_max_attempts_ceiling: 40,
      delivery_timeout_seconds_ceiling: 90,
      max_concurrent_per_endpoint_ceiling: 5,
    });
    expect(resolveWebhookConfig({ max_concurrent_deliveries: 1, max_concurrent_per_endpoint: 1 }).max_concurrent_per_endpoint_ceiling).toBe(1);
    expect(resolveWebhookConfig({ max_concurrent_deliveries: 7 }).max_concurrent_per_endpoint_ceiling).toBe(3);
  });

  it('take the values given', () => {
    expect(resolveWebhookConfig({ retry_max_attempts_ceiling: 8, delivery_timeout_seconds_ceiling: 2.5, max_concurrent_per_endpoint_ceiling: 64 })).toMatchObject({
      retry_max_attempts_ceiling: 8,
      delivery_timeout_seconds_ceiling: 2.5,
      max_concurrent_per_endpoint_ceiling: 64,
    });
  });

  it.each([
    [{ max_concurrent_per_endpoint_ceiling: 65 }, 'max_concurrent_per_endpoint_ceiling', /must be <= max_concurrent_deliveries \(64\)/],
    [{ max_concurrent_deliveries: 16, max_concurrent_per_endpoint_ceiling: 17 }, 'max_concurrent_per_endpoint_ceiling', /must be <= max_concurrent_deliveries \(16\)/],
    [{ max_concurrent_per_endpoint_ceiling: 0 }, 'max_concurrent_per_endpoint_ceiling', /integer >= 1/],
    [{ retry_max_attempts_ceiling: 2.5 }, 'retry_max_attempts_ceiling', /integer >= 1/],
    [{ delivery_timeout_seconds_ceiling: -1 }, 'delivery_timeout_seconds_ceiling', /> 0/],
  ])('refuses %j naming %s', (options, key, message) => {
    const error = (() => {
      try {
        resolveWebhookConfig(options);
      } catch (err) {
        return err;
      }
    })();
    expect(error).toBeInstanceOf(InvalidWebhookConfigError);
    expect((error as InvalidWebhookConfigError).key).toBe(key);
    expect((error as Error).message).toMatch(message);
  });
});

describe('override ceilings: overrideProblem', () => {
  const config = resolveWebhookConfig({ lease_seconds: 300 });

  it.each([
    ['max_concurrent_per_endpoint', 33, 'max_concurrent_per_endpoint 33 is over the ceiling 32 (max_concurrent_per_endpoint_ceiling; by default half of max_concurrent_deliveries)'],
    ['max_concurrent_per_endpoint', 1_000_000, 'max_concurrent_per_endpoint 1000000 is over the ceiling 32 (max_concurrent_per_endpoint_ceiling;'],
    ['retry_max_attempts', 26, 'retry_max_attempts 26 is over the ceiling 25 (retry_max_attempts_ceiling; by default 25, or retry_max_attempts if higher)'],
    ['delivery_timeout_seconds', 60.5, 'delivery_timeout_seconds 60.5 is over the ceiling 60 (delivery_timeout_seconds_ceiling; by default 60, or delivery_timeout_seconds if higher)'],
  ] as const)('%s %d is refused naming the field, the ceiling and its key', (key, value, message) => {
    expect(overrideProblem(key, value, config)).toContain(message);
    expect(overrideProblem(key, value, config)).toContain('raise the ceiling in the module config');
  });

  it('accepts the ceiling itself, and any value without a config (the admin DTO checks bounds only)', () => {
    expect(overrideProblem('max_concurrent_per_endpoint', 32, config)).toBeNull();
    expect(overrideProblem('retry_max_attempts', 25, config)).toBeNull();
    expect(overrideProblem('delivery_timeout_seconds', 60, config)).toBeNull();
    expect(overrideProblem('max_concurrent_per_endpoint', 33)).toBeNull();
  });

  it('honours a custom ceiling', () => {
    const custom = resolveWebhookConfig({ max_concurrent_per_endpoint_ceiling: 4, retry_max_attempts_ceiling: 3, delivery_timeout_seconds_ceiling: 10 });
    expect(overrideProblem('max_concurrent_per_endpoint', 5, custom)).toContain('over the ceiling 4 (max_concurrent_per_endpoint_ceiling;');
    expect(overrideProblem('retry_max_attempts', 4, custom)).toContain('over the ceiling 3 (retry_max_attempts_ceiling;');
    expect(overrideProblem('delivery_timeout_seconds', 11, custom)).toContain('over the ceiling 10 (delivery_timeout_seconds_ceiling;');
    expect(overrideProblem('max_concurrent_per_endpoint', 4, custom)).toBeNull();
  });
});

describe('override ceilings: the engine cuts a value stored above them', () => {
  const config = resolveWebhookConfig({ lease_seconds: 300 });

  it('retry_max_attempts', () => {
    expect(retryPolicyOf(config, { retry_max_attempts: 1000 }).retry_max_attempts).toBe(25);
    expect(retryPolicyOf(config, { retry_max_attempts: 7 }).retry_max_attempts).toBe(7);
    expect(retryPolicyOf(config, {}).retry_max_attempts).toBe(5);
  });

  it('max_concurrent_per_endpoint', () => {
    const capacity = new Capacity<string>({ maxInProcess: 64, sendCap: 8, ownCapCeiling: 32 });
    capacity.setCap('greedy', 64);
    capacity.setCap('modest', 3);
    expect(capacity.sendCapOf('greedy')).toBe(32);
    expect(capacity.holdLimitOf('greedy')).toBe(64);
    expect(capacity.sendCapOf('modest')).toBe(3);
    expect(capacity.sendCapOf('other')).toBe(8);
  });

  it('delivery_timeout_seconds', () => {
    const timeouts = new SendTimeouts(30_000, 300_000, 60_000);
    const sub = (delivery_timeout_seconds: number) => ({ subscription_id: 's', delivery_timeout_seconds }) as WebhookSubscription;
    expect(timeouts.forSend(sub(3600), 1_000_000, 0)).toBe(60_000);
    expect(timeouts.needed(sub(3600))).toBe(61_000);
    expect(timeouts.forSend(sub(5), 1_000_000, 0)).toBe(5000);
  });
});
