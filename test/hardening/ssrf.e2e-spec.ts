import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
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

  // [what, URL, what the message says, what it must not say (the address a name resolves to)]
  const REFUSED = /refused: .* a private or reserved address; set allow_private_urls or add it to allowed_hosts/;
  it.each([
    ['IPv4 loopback', 'http://127.0.0.1:8080/hook', /refused: 127\.0\.0\.1 is a private or reserved address/],
    ['localhost (resolved by DNS)', 'http://localhost:8080/hook', /refused: localhost resolves to a private or reserved address/],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/', /refused: 169\.254\.169\.254 is a private or reserved address/],
    ['IPv6 loopback', 'http://[::1]:8080/hook', REFUSED],
    ['IPv4-mapped loopback', 'http://[::ffff:127.0.0.1]/hook', REFUSED],
    ['hex/short IPv4 loopback', 'http://0x7f.1/hook', REFUSED],
    ['decimal IPv4 loopback', 'http://2130706433/hook', REFUSED],
    ['unspecified address', 'http://0.0.0.0:8080/hook', REFUSED],
    ['private 10/8', 'http://10.1.2.3/hook', /refused: 10\.1\.2\.3 is a private or reserved address/],
    ['private 192.168/16', 'https://192.168.1.1/hook', REFUSED],
    ['link-local IPv6', 'http://[fe80::1]/hook', REFUSED],
    ['AWS IMDS over IPv6', 'http://[fd00:ec2::254]/', REFUSED],
    ['6to4 relay anycast', 'http://192.88.99.1/hook', REFUSED],
    ['IPv6 benchmarking', 'http://[2001:2::1]/hook', REFUSED],
    ['IPv6 documentation 3fff::/20', 'http://[3fff::1]/hook', REFUSED],
    ['a localhost. name with a trailing dot', 'http://localhost.:8080/hook', /refused: localhost\. resolves to a private or reserved address/],
    ['a *.localhost name', 'http://api.localhost:8080/hook', /refused: api\.localhost resolves to a private or reserved address/],
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
    if (/refused/.test((err as Error).message)) expect((err as Error).message).toMatch(REFUSED);
    // Credentials never echo back in the error.
    expect((err as Error).message).not.toMatch(/pw@|token@/);
    if (/credentials/.test((err as Error).message)) expect((err as Error).message).toContain('://***@example.com/hook');
    expect(await t.subscriptionStore.count()).toBe(0);
  });

  it('never names the address a hostname resolves to, nor its range (no DNS oracle); the server log does', async () => {
    const lines: string[] = [];
    t = await guarded();
    Logger.overrideLogger({ log: () => undefined, error: () => undefined, warn: (m: unknown) => void lines.push(String(m)) });
    for (const url of ['http://localhost:8080/hook', 'http://api.localhost/hook']) {
      const err = (await t.subscriptions.create({ url }).catch((e: unknown) => e)) as Error;
      expect(err).toBeInstanceOf(InvalidWebhookURLError);
      expect(err.message).toMatch(REFUSED);
      expect(err.message).not.toMatch(/127\.0\.0\.1|::1|loopback/);
    }
    const sub = await t.subscriptions.create({ url: 'https://93.184.215.14/hook' });
    const err = (await t.subscriptions.update(sub.subscription_id, { url: 'http://localhost/' }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/refused: localhost resolves to a private or reserved address/);
    expect(err.message).not.toMatch(/127\.0\.0\.1|::1|loopback/);
    Logger.overrideLogger(false);
    expect(lines.filter((l) => /subscription URL refused: localhost -> loopback address (127\.0\.0\.1|::1)/.test(l))).toHaveLength(2);
  });

  it('refuses an update to a private URL and leaves the stored subscription unchanged', async () => {
    t = await guarded();
    // A public IP literal: accepted without DNS (nothing is sent to it in this test).
    const sub = await t.subscriptions.create({ url: 'https://93.184.215.14/hook' });
    await expect(t.subscriptions.update(sub.subscription_id, { url: receiver.url('/hook') })).rejects.toBeInstanceOf(InvalidWebhookURLError);
    expect((await t.subscriptionStore.get(sub.subscription_id))!.url).toBe('https://93.184.215.14/hook');
  });

  it.each([
    ['an IP literal', (port: number) => `http://127.0.0.1:${port}/hook`, /^refused: 127\.0\.0\.1 is a private or reserved address/],
    ['a name that resolves to loopback (the DNS-changed case)', (port: number) => `http://localhost:${port}/hook`, /^refused: localhost resolves to a private or reserved address/],
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
      // what the attempt log (and the admin API) shows names no address a name resolved to
      if (/localhost/.test(makeUrl(0))) expect(a.error_message).not.toMatch(/127\.0\.0\.1|::1|loopback/);
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
    expect(attempt.error_message).toMatch(/^refused: 169\.254\.169\.254 is a private or reserved address/);
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
