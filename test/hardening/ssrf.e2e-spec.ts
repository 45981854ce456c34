import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { InvalidWebhookURLError, WebhookError } from '../../lib';
import { createTestApp, type TestApp } from '../support/app';
import { ok, TestReceiver, waitFor } from '../support/receiver';
import { attemptsOldestFirst, storeSubscriptionDirectly, waitForAttempts } from './helpers';

/** Issue 5.1: the SSRF guard is on by default, at subscription time and again at every send. */
describe('SSRF guard (allow_private_urls: false)', () => {
  let receiver: TestReceiver;
  let t: TestApp | undefined;

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/hook', ok());
  });
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });
  afterAll(async () => {
    await receiver.close();
  });

  const guarded = (options = {}) => createTestApp({ allow_private_urls: false, ...options });

  it.each([
    ['IPv4 loopback', 'http://127.0.0.1:8080/hook', /refused: .*loopback address 127\.0\.0\.1/],
    ['localhost (resolved by DNS)', 'http://localhost:8080/hook', /refused: localhost resolves to loopback address/],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/', /refused: .*cloud metadata address 169\.254\.169\.254/],
    ['IPv6 loopback', 'http://[::1]:8080/hook', /refused: .*loopback address ::1/],
    ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/hook', /refused: .*loopback address 127\.0\.0\.1/],
    ['hex/short IPv4 loopback', 'http://0x7f.1/hook', /refused: .*loopback address 127\.0\.0\.1/],
    ['decimal IPv4 loopback', 'http://2130706433/hook', /refused: .*loopback address/],
    ['unspecified address', 'http://0.0.0.0:8080/hook', /refused: .*unspecified address/],
    ['private 10/8', 'http://10.1.2.3/hook', /refused: .*private address 10\.1\.2\.3/],
    ['private 192.168/16', 'https://192.168.1.1/hook', /refused: .*private address/],
    ['link-local IPv6', 'http://[fe80::1]/hook', /refused: .*link-local address/],
    ['AWS IMDS over IPv6', 'http://[fd00:ec2::254]/', /refused: .*cloud metadata address/],
    ['a localhost. name with a trailing dot', 'http://localhost.:8080/hook', /refused: .*loopback/],
    ['a *.localhost name', 'http://api.localhost:8080/hook', /refused: .*loopback/],
    ['credentials in the URL', 'http://user:pw@example.com/hook', /must not contain credentials/],
    ['a user without password', 'https://token@example.com/hook', /must not contain credentials/],
    ['ftp:', 'ftp://example.com/hook', /scheme must be http or https, not ftp/],
    ['file:', 'file:///etc/passwd', /scheme must be http or https, not file/],
    ['javascript:', 'javascript:alert(1)', /scheme must be http or https/],
    ['gopher:', 'gopher://127.0.0.1:6379/_INFO', /scheme must be http or https/],
  ])('refuses a subscription to %s with InvalidWebhookURLError, storing nothing', async (_what, url, message) => {
    t = await guarded();
    const err = await t.subscriptions.create({ url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidWebhookURLError);
    expect(err).toBeInstanceOf(WebhookError);
    expect((err as InvalidWebhookURLError).code).toBe('INVALID_WEBHOOK_URL');
    expect((err as Error).message).toMatch(message);
    // The refusal says how to open it, unless it is a syntax problem no setting can fix.
    if (/refused/.test((err as Error).message)) expect((err as Error).message).toMatch(/allow_private_urls or add it to allowed_hosts/);
    // Credentials never echo back in the error.
    expect((err as Error).message).not.toMatch(/pw@|token@/);
    if (/credentials/.test((err as Error).message)) expect((err as Error).message).toContain('://***@example.com/hook');
    expect(await t.subscriptionStore.count()).toBe(0);
  });

  it('refuses an update to a private URL and leaves the stored subscription unchanged', async () => {
    t = await guarded();
    // A public IP literal: accepted without DNS (nothing is sent to it in this test).
    const sub = await t.subscriptions.create({ url: 'https://93.184.215.14/hook' });
    await expect(t.subscriptions.update(sub.subscription_id, { url: receiver.url('/hook') })).rejects.toBeInstanceOf(InvalidWebhookURLError);
    expect((await t.subscriptionStore.get(sub.subscription_id))!.url).toBe('https://93.184.215.14/hook');
  });

  it.each([
    ['an IP literal', (port: number) => `http://127.0.0.1:${port}/hook`, /^refused: 127\.0\.0\.1 resolves to loopback address 127\.0\.0\.1/],
    ['a name that resolves to loopback (the DNS-changed case)', (port: number) => `http://localhost:${port}/hook`, /^refused: localhost resolves to loopback address/],
  ])('refuses at send time a stored subscription to %s: logged failed attempts, retried, nothing received', async (_what, makeUrl, message) => {
    t = await guarded({ retry_max_attempts: 3 });
    const sub = await storeSubscriptionDirectly(t.subscriptionStore, makeUrl(receiver.port));
    const before = receiver.received('/hook').length;
    const { event_id, delivery_count } = await t.delivery.dispatch({ event_type: 'a', payload: { x: 1 } });
    expect(delivery_count).toBe(1);
    const dead = await waitFor(async () => (await t!.deliveries.getDeadLetters({ subscription_id: sub.subscription_id }))[0], 'the dead letter');
    const attempts = await attemptsOldestFirst(t, event_id);
    expect(attempts.map((a) => a.status)).toEqual(['failed', 'failed', 'dead_letter']);
    for (const a of attempts) {
      expect(a.status_code).toBeNull();
      expect(a.error_message).toMatch(message);
      expect(a.error_message).toMatch(/set allow_private_urls or add it to allowed_hosts/);
    }
    expect(dead.event_id).toBe(event_id);
    expect(receiver.received('/hook').length).toBe(before);
    // The subscription stays as it was (refusals are failures like any other, counted for auto-disable).
    expect((await t.subscriptionStore.get(sub.subscription_id))!.active).toBe(true);
  });

  it('refuses the cloud metadata address at send time without trying to connect', async () => {
    t = await guarded({ retry_max_attempts: 1, delivery_timeout_seconds: 5 });
    await storeSubscriptionDirectly(t.subscriptionStore, 'http://169.254.169.254/latest/meta-data/');
    const { event_id } = await t.delivery.dispatch({ event_type: 'a', payload: {} });
    const [attempt] = await waitForAttempts(t, event_id, 1);
    expect(attempt.error_message).toMatch(/^refused: 169\.254\.169\.254 resolves to cloud metadata address/);
    // A connection attempt would have run into the 5 s timeout.
    expect(attempt.duration_ms).toBeLessThan(1000);
  });

  it("allowed_hosts: ['127.0.0.1/32'] opens exactly that range, for subscriptions and sends", async () => {
    t = await guarded({ allowed_hosts: ['127.0.0.1/32'] });
    const sub = await t.subscriptions.create({ url: receiver.url('/hook') });
    // Still closed for the rest.
    await expect(t.subscriptions.create({ url: 'http://10.0.0.1/hook' })).rejects.toBeInstanceOf(InvalidWebhookURLError);
    await expect(t.subscriptions.create({ url: 'http://[::1]/hook' })).rejects.toBeInstanceOf(InvalidWebhookURLError);
    const before = receiver.received('/hook').length;
    const { event_id } = await t.delivery.dispatch({ event_type: 'a', payload: { ok: true } });
    const [attempt] = await waitForAttempts(t, event_id, 1);
    expect(attempt).toMatchObject({ status: 'delivered', status_code: 200, subscription_id: sub.subscription_id });
    expect(receiver.received('/hook').length).toBe(before + 1);
  });

  it("allowed_hosts by name: ['localhost'] lets http://localhost through", async () => {
    t = await guarded({ allowed_hosts: ['localhost'] });
    await t.subscriptions.create({ url: `http://localhost:${receiver.port}/hook` });
    const { event_id } = await t.delivery.dispatch({ event_type: 'a', payload: {} });
    const [attempt] = await waitForAttempts(t, event_id, 1);
    expect(attempt.status).toBe('delivered');
  });

  it('allow_private_urls: true opens everything for development', async () => {
    t = await createTestApp({ allow_private_urls: true });
    await t.subscriptions.create({ url: receiver.url('/hook') });
    const { event_id } = await t.delivery.dispatch({ event_type: 'a', payload: {} });
    expect((await waitForAttempts(t, event_id, 1))[0].status).toBe('delivered');
  });
});
