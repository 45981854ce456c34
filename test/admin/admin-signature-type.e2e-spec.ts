import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';
import type { App } from 'supertest/types';
import { verifyWebhook } from '../../lib';
import { WebhookModule } from '../../lib/webhook.module';
import { ok, TestReceiver, waitFor } from '../support/receiver';
import { ADMIN_TOKEN, FAST_RETRY_OPTIONS, startApp, TestAdminGuard, type AdminTestApp } from './admin-test-app';

/** The admin API with ed25519 subscriptions: signature_type and public_key shown everywhere, the signing key never. */
describe('admin API: signature_type and public_key', () => {
  let receiver: TestReceiver;
  let t: AdminTestApp;
  let server: App;
  /** Every response body that must not hold a full secret. */
  const masked: string[] = [];
  const call = (method: 'get' | 'post' | 'patch', path: string, body?: object) => {
    const req = request(server)[method](path).set('x-admin-token', ADMIN_TOKEN);
    return body === undefined ? req : req.send(body);
  };

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/ed', ok(200));
    t = await startApp(WebhookModule.forRoot({ enable_admin: true, ...FAST_RETRY_OPTIONS, admin_guards: [TestAdminGuard], admin_allow_unguarded: false }));
    server = t.app.getHttpServer();
  });
  afterAll(async () => {
    await t?.app.close();
    await receiver?.close();
  });

  it('creates an ed25519 subscription: the signing key once, the public key in every response; a test event verifies with it', async () => {
    const created = await call('post', '/webhooks/subscriptions', { url: receiver.url('/ed'), signature_type: 'ed25519' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ signature_type: 'ed25519', secret: expect.stringMatching(/^whsk_[A-Za-z0-9+/]{86}==$/), public_key: expect.stringMatching(/^whpk_[A-Za-z0-9+/]{43}=$/) });
    const { subscription_id: id, secret, public_key } = created.body as { subscription_id: string; secret: string; public_key: string };

    const got = await call('get', `/webhooks/subscriptions/${id}`);
    const listed = await call('get', '/webhooks/subscriptions');
    const patched = await call('patch', `/webhooks/subscriptions/${id}`, { description: 'ed25519 endpoint' });
    const deactivated = await call('post', `/webhooks/subscriptions/${id}/deactivate`);
    const activated = await call('post', `/webhooks/subscriptions/${id}/activate`);
    for (const res of [got, patched, deactivated, activated]) {
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ signature_type: 'ed25519', public_key, secret: `whsk_****${secret.slice(-4)}` });
    }
    expect(listed.body.find((s: { subscription_id: string }) => s.subscription_id === id)).toMatchObject({ signature_type: 'ed25519', public_key });
    masked.push(...[got, listed, patched, deactivated, activated].map((r) => r.text));

    const test = await call('post', `/webhooks/subscriptions/${id}/test`);
    expect(test.body).toMatchObject({ status: 'delivered' });
    const sent = await waitFor(() => receiver.received('/ed')[0], 'the test event');
    expect(verifyWebhook(sent.body, sent.headers, public_key)).toBe(true);

    // A rotation shows the new signing key once, and the new public key.
    const rotated = await call('post', `/webhooks/subscriptions/${id}/rotate-secret`);
    expect(rotated.body).toMatchObject({ signature_type: 'ed25519', secret: expect.stringMatching(/^whsk_/), public_key: expect.stringMatching(/^whpk_/) });
    expect(rotated.body.public_key).not.toBe(public_key);
    const after = await call('get', `/webhooks/subscriptions/${id}`);
    expect(after.body.public_key).toBe(rotated.body.public_key);
    masked.push(after.text);
    for (const text of masked) for (const full of [secret, rotated.body.secret as string]) expect(text).not.toContain(full.slice(5));
  });

  it('PATCH signature_type replaces the secret with one of the new kind and shows it; the same type or a bad one does not', async () => {
    const created = await call('post', '/webhooks/subscriptions', { url: receiver.url('/ed') });
    expect(created.body).toMatchObject({ signature_type: 'hmac-sha256', public_key: null, secret: expect.stringMatching(/^whsec_/) });
    const id = created.body.subscription_id as string;

    const same = await call('patch', `/webhooks/subscriptions/${id}`, { signature_type: 'hmac-sha256' });
    expect(same.status).toBe(200);
    expect(same.body.secret).toBe(`whsec_****${(created.body.secret as string).slice(-4)}`);

    const changed = await call('patch', `/webhooks/subscriptions/${id}`, { signature_type: 'ed25519' });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ signature_type: 'ed25519', secret: expect.stringMatching(/^whsk_[A-Za-z0-9+/]{86}==$/), public_key: expect.stringMatching(/^whpk_/), previous_secret_expires_at: expect.any(String) });
    expect(changed.text).not.toContain(created.body.secret);
    expect((await t.subscriptions.get(id)).secret).toBe(changed.body.secret);

    for (const bad of ['rsa', null, 7]) {
      const res = await call('patch', `/webhooks/subscriptions/${id}`, { signature_type: bad });
      expect(res.status).toBe(400);
      expect(res.body.fields).toContain('signature_type');
      expect(JSON.stringify(res.body.message)).toContain("signature_type must be one of 'hmac-sha256', 'ed25519'");
    }
    const refused = await call('post', '/webhooks/subscriptions', { url: receiver.url('/ed'), signature_type: 'ED25519' });
    expect(refused.status).toBe(400);
    expect(refused.body.fields).toContain('signature_type');
    expect((await t.subscriptions.get(id)).secret).toBe(changed.body.secret);
  });
});

describe('admin API with the body-hmac scheme', () => {
  let t: AdminTestApp;
  beforeAll(async () => {
    t = await startApp(WebhookModule.forRoot({ enable_admin: true, ...FAST_RETRY_OPTIONS, admin_guards: [TestAdminGuard], signature_scheme: 'body-hmac' }));
  });
  afterAll(async () => {
    await t?.app.close();
  });

  it('refuses an ed25519 subscription with a 400 naming signature_type', async () => {
    const res = await request(t.app.getHttpServer()).post('/webhooks/subscriptions').set('x-admin-token', ADMIN_TOKEN).send({ url: 'https://hooks.example.com/a', signature_type: 'ed25519' });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.body)).toContain('signature_type');
    expect(JSON.stringify(res.body)).toContain('body-hmac scheme is HMAC only');
    expect(await t.subscriptions.list({ active_only: false })).toHaveLength(0);
  });
});
