import { describe, expect, it } from '@jest/globals';
import { decideAttempt, notSentReason, NOT_SENT, outcomeOf } from '../../lib/delivery/engine/attempt-decision';
import type { SendResult } from '../../lib/delivery/http/transport';
import type { WebhookSubscription } from '../../lib/domain/types';

const policy = { retry_max_attempts: 3, retry_base_delay: 1, retry_max_delay: 60, retry_backoff_factor: 2, retry_jitter: 0 };
const NOW = 1_000_000;
const result = (over: Partial<SendResult>): SendResult => ({ ok: false, status_code: 500, duration_ms: 5, error_message: 'HTTP 500', retry_after_ms: null, gone: false, ...over });

describe('decideAttempt', () => {
  it('2xx: delivered', () => {
    expect(decideAttempt(result({ ok: true, status_code: 200 }), 1, policy, NOW)).toEqual({ status: 'delivered', next: { status: 'delivered' }, effect: 'none' });
  });

  it('a failure before the last attempt: retry after the backoff delay', () => {
    expect(decideAttempt(result({}), 1, policy, NOW)).toEqual({ status: 'failed', next: { status: 'pending', next_attempt_at: new Date(NOW + 1000) }, effect: 'failure' });
    expect(decideAttempt(result({}), 2, policy, NOW).next).toEqual({ status: 'pending', next_attempt_at: new Date(NOW + 2000) });
  });

  it('Retry-After longer than the backoff wins; shorter does not', () => {
    expect(decideAttempt(result({ status_code: 429, retry_after_ms: 30_000 }), 1, policy, NOW).next).toEqual({ status: 'pending', next_attempt_at: new Date(NOW + 30_000) });
    expect(decideAttempt(result({ status_code: 503, retry_after_ms: 10 }), 1, policy, NOW).next).toEqual({ status: 'pending', next_attempt_at: new Date(NOW + 1000) });
  });

  it('the last attempt of the cycle: dead letter', () => {
    expect(decideAttempt(result({}), 3, policy, NOW)).toEqual({ status: 'dead_letter', next: { status: 'dead_letter' }, effect: 'failure' });
  });

  it('410 Gone: the attempt failed, the delivery is cancelled and the endpoint is disabled, even on the last attempt', () => {
    for (const n of [1, 3]) expect(decideAttempt(result({ status_code: 410, gone: true }), n, policy, NOW)).toEqual({ status: 'failed', next: { status: 'cancelled' }, effect: 'gone' });
  });

  it('jitter comes from the injected random source', () => {
    const jittery = { ...policy, retry_jitter: 0.5 };
    expect(decideAttempt(result({}), 1, jittery, NOW, () => 0).next).toEqual({ status: 'pending', next_attempt_at: new Date(NOW + 500) });
    expect(decideAttempt(result({}), 1, jittery, NOW, () => 1).next).toEqual({ status: 'pending', next_attempt_at: new Date(NOW + 1500) });
  });

  it('a deleted or inactive subscription is not sent to: cancelled', () => {
    expect(notSentReason(null)).toBe('not sent: subscription was deleted');
    expect(notSentReason({ active: false } as WebhookSubscription)).toBe('not sent: subscription is inactive');
    expect(notSentReason({ active: true } as WebhookSubscription)).toBeNull();
    expect(NOT_SENT).toEqual({ status: 'cancelled', next: { status: 'cancelled' }, effect: 'none' });
  });

  it('maps attempt statuses to outcome types', () => {
    expect(['delivered', 'failed', 'dead_letter', 'cancelled'].map((s) => outcomeOf(s as never))).toEqual(['delivered', 'failed', 'dead_lettered', 'cancelled']);
  });
});
