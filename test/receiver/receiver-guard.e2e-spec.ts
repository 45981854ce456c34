import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, HttpCode, Injectable, Module, NotFoundException, Post, type LoggerService } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { sign as octokitSign } from '@octokit/webhooks-methods';
import { randomUUID } from 'node:crypto';
import { Webhook as StandardWebhook } from 'standardwebhooks';
import { Webhook as SvixWebhook } from 'svix';
import { generateWebhookSecret, WebhookEvent, WebhookReceiver, WebhookReceiverModule, type WebhookReceiverOptions } from '../../lib';
import { signBodyHmac, signStandardWebhooks } from '../../lib/signing/signature';
import { post, startReceiverApp, type ReceiverApp } from './receiver-test-app';

const SECRET = generateWebhookSecret();
const OLD_SECRET = generateWebhookSecret();
const now = () => Math.floor(Date.now() / 1000);

/** A body as this package sends it: the event envelope. */
function envelope(payload: unknown = { order_id: 'A-1', total: 42.5 }, event_type = 'order.created'): string {
  return JSON.stringify({ event_id: `evt_${randomUUID()}`, event_type, occurred_at: '2026-01-02T03:04:05.678Z', source: 'shop', payload });
}

/** Standard Webhooks headers for `body`, signed with `secrets` (one `v1,` each). */
function signed(body: string, secrets: string[] = [SECRET], id = `msg_${randomUUID()}`, ts = now()): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': secrets.map((s) => signStandardWebhooks(s, id, ts, body)).join(' ') };
}

/** A logger that keeps what it is given. */
class CapturingLogger implements LoggerService {
  readonly lines: string[] = [];
  log(m: unknown): void {
    this.lines.push(String(m));
  }
  error(m: unknown): void {
    this.lines.push(String(m));
  }
  warn(m: unknown): void {
    this.lines.push(String(m));
  }
}

describe('WebhookSignatureGuard in a NestJS receiver (rawBody: true), over real HTTP', () => {
  let r: ReceiverApp;
  beforeAll(async () => {
    r = await startReceiverApp(WebhookReceiverModule.forRoot({ secrets: [SECRET, OLD_SECRET] }));
  });
  afterAll(async () => {
    await r?.close();
  });

  /** Posts to /hooks/in and checks the refusal: a 401 with `reason`, and the handler did not run. */
  async function expectRefused(body: string, headers: Record<string, string>, reason: string, message?: RegExp): Promise<void> {
    const before = r.calls.events.length;
    const res = await post(r.url('/hooks/in'), body, headers);
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ statusCode: 401, reason });
    if (message) expect(res.body.message).toMatch(message);
    expect(r.calls.events.length).toBe(before);
  }

  it('accepts a request signed by the official svix library, and hands the verified event to the handler', async () => {
    const body = envelope({ order_id: 'A-1', total: 42.5 });
    const id = `msg_${randomUUID()}`;
    const ts = String(now());
    const signature = new SvixWebhook(SECRET).sign(id, new Date(Number(ts) * 1000), body);
    expect(signature.startsWith('v1,')).toBe(true);
    const res = await post(r.url('/hooks/in'), body, { 'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': signature, 'webhook-event-type': 'order.created' });
    expect(res).toEqual({ status: 200, body: { received: id } });
    const call = r.calls.events.at(-1)!;
    expect(call.route).toBe('in');
    expect(call.event).toEqual({
      event_id: id,
      event_type: 'order.created',
      occurred_at: new Date('2026-01-02T03:04:05.678Z'),
      source: 'shop',
      payload: { order_id: 'A-1', total: 42.5 },
      signed_at: new Date(Number(ts) * 1000),
      body: JSON.parse(body),
    });
    expect(call.payload).toEqual({ order_id: 'A-1', total: 42.5 });
  });

  it('accepts a request signed by the official standardwebhooks library; the event type comes from the body without the header', async () => {
    const body = envelope({ n: 1 }, 'invoice.paid');
    const id = `msg_${randomUUID()}`;
    const at = new Date(now() * 1000);
    const res = await post(r.url('/hooks/in'), body, { 'webhook-id': id, 'webhook-timestamp': String(at.getTime() / 1000), 'webhook-signature': new StandardWebhook(SECRET).sign(id, at, body) });
    expect(res.status).toBe(200);
    expect(r.calls.events.at(-1)!.event).toMatchObject({ event_id: id, event_type: 'invoice.paid', payload: { n: 1 } });
  });

  it('takes event_type from the signed body when an unsigned webhook-event-type header says otherwise', async () => {
    const body = JSON.stringify({ event_id: 'evt_body', event_type: 'order.created', occurred_at: new Date().toISOString(), source: null, payload: {} });
    const headers = { ...signed(body, [SECRET], 'msg_signed'), 'webhook-event-type': 'order.refunded' };
    expect((await post(r.url('/hooks/in'), body, headers)).status).toBe(200);
    // The id header is signed in this scheme, so it is the id; the type header is not, so the body's type wins.
    expect(r.calls.events.at(-1)!.event).toMatchObject({ event_id: 'msg_signed', event_type: 'order.created' });
  });

  it('gives a body that is not an event envelope whole, as the payload', async () => {
    const body = JSON.stringify({ type: 'user.created', data: { id: 7 } });
    const res = await post(r.url('/hooks/in'), body, signed(body));
    expect(res.status).toBe(200);
    expect(r.calls.events.at(-1)!.event).toMatchObject({ event_type: null, occurred_at: null, source: null, payload: { type: 'user.created', data: { id: 7 } } });
  });

  it('accepts either configured secret (a rotation), and a header carrying a signature by an unknown key beside a good one', async () => {
    const body = envelope();
    expect((await post(r.url('/hooks/in'), body, signed(body, [OLD_SECRET]))).status).toBe(200);
    expect((await post(r.url('/hooks/in'), body, signed(body, [generateWebhookSecret(), SECRET]))).status).toBe(200);
  });

  it('refuses a body changed by one byte: no_matching_signature', async () => {
    const body = envelope({ total: 42.5 });
    const headers = signed(body);
    await expectRefused(body.replace('42.5', '42.6'), headers, 'no_matching_signature');
  });

  it('refuses a request signed with a key it does not hold: no_matching_signature', async () => {
    const body = envelope();
    await expectRefused(body, signed(body, [generateWebhookSecret()]), 'no_matching_signature');
  });

  it('refuses each missing header, naming it: missing_header', async () => {
    const body = envelope();
    for (const name of ['webhook-signature', 'webhook-id', 'webhook-timestamp']) {
      const headers = signed(body);
      delete headers[name];
      await expectRefused(body, headers, 'missing_header', new RegExp(`missing ${name} header`));
    }
    await expectRefused(body, { ...signed(body), 'webhook-signature': '   ' }, 'missing_header');
  });

  it('refuses malformed headers: malformed_header', async () => {
    const body = envelope();
    await expectRefused(body, { ...signed(body), 'webhook-timestamp': 'yesterday' }, 'malformed_header', /unix seconds/);
    await expectRefused(body, { ...signed(body), 'webhook-timestamp': String(now() * 1000 * 1000) }, 'malformed_header');
    await expectRefused(body, { ...signed(body), 'webhook-signature': 'not a signature' }, 'malformed_header', /no Standard Webhooks signature/);
    await expectRefused(body, { ...signed(body), 'webhook-signature': Array.from({ length: 17 }, () => signed(body)['webhook-signature']).join(' ') }, 'malformed_header', /more than 16/);
  });

  it('refuses a signature of the wrong kind: a GitHub-style body signature to a Standard Webhooks receiver', async () => {
    const body = envelope();
    await expectRefused(body, { ...signed(body), 'webhook-signature': signBodyHmac(SECRET, body) }, 'malformed_header', /body-hmac/);
  });

  it('refuses timestamps outside the tolerance, even when correctly signed (by standardwebhooks)', async () => {
    const body = envelope();
    const id = `msg_${randomUUID()}`;
    const old = new Date((now() - 301) * 1000);
    const ahead = new Date((now() + 400) * 1000);
    const headers = (at: Date) => ({ 'webhook-id': id, 'webhook-timestamp': String(at.getTime() / 1000), 'webhook-signature': new StandardWebhook(SECRET).sign(id, at, body) });
    await expectRefused(body, headers(old), 'timestamp_too_old', /tolerance/);
    await expectRefused(body, headers(ahead), 'timestamp_in_future', /check the clocks/);
  });

  it('refuses a replayed request: replayed (the handler ran once)', async () => {
    const body = envelope();
    const headers = signed(body);
    const before = r.calls.count('in');
    expect((await post(r.url('/hooks/in'), body, headers)).status).toBe(200);
    await expectRefused(body, headers, 'replayed', /received before/);
    expect(r.calls.count('in')).toBe(before + 1);
  });

  it('refuses a replay that keeps only one of the signatures of a rotation', async () => {
    const body = envelope();
    const id = `msg_${randomUUID()}`;
    const ts = now();
    const both = signed(body, [SECRET, OLD_SECRET], id, ts);
    expect((await post(r.url('/hooks/in'), body, both)).status).toBe(200);
    const [fresh, old] = both['webhook-signature'].split(' ');
    await expectRefused(body, { ...both, 'webhook-signature': old }, 'replayed');
    await expectRefused(body, { ...both, 'webhook-signature': fresh }, 'replayed');
  });

  it('forgets a request its handler failed, so the same signed bytes sent again (a retry within the second) pass, once', async () => {
    const body = envelope();
    const headers = signed(body);
    r.plan.failures = 1;
    expect((await post(r.url('/hooks/fail'), body, headers)).status).toBe(500);
    expect((await post(r.url('/hooks/fail'), body, headers)).status).toBe(200);
    const replay = await post(r.url('/hooks/fail'), body, headers);
    expect([replay.status, replay.body.reason]).toEqual([401, 'replayed']);
    expect(r.calls.count('fail')).toBe(2);
  });

  it('accepts the sender re-signing the same webhook-id with a new timestamp (a retry), which only a replay of the same message is not', async () => {
    const body = envelope();
    const id = `msg_${randomUUID()}`;
    expect((await post(r.url('/hooks/in'), body, signed(body, [SECRET], id, now() - 2))).status).toBe(200);
    expect((await post(r.url('/hooks/in'), body, signed(body, [SECRET], id, now()))).status).toBe(200);
  });

  it('answers 400 when the signed body is not JSON, and does not run the handler', async () => {
    const before = r.calls.events.length;
    // express's json parser refuses it before the guard runs
    expect((await post(r.url('/hooks/in'), 'not json', signed('not json'))).status).toBe(400);
    // a form body is kept raw too, verifies, and @WebhookEvent() refuses it
    const form = 'a=1&b=2';
    const res = await post(r.url('/hooks/in'), form, { ...signed(form), 'content-type': 'application/x-www-form-urlencoded' });
    expect(res).toMatchObject({ status: 400, body: { reason: 'invalid_json' } });
    expect(r.calls.events.length).toBe(before);
  });

  it('judges an empty body as received (empty), not as a missing raw body', async () => {
    const empty = await post(r.url('/hooks/in'), '', {});
    expect([empty.status, empty.body.reason]).toEqual([401, 'missing_header']);
    const signedEmpty = await post(r.url('/hooks/in'), '', signed('{}'));
    expect([signedEmpty.status, signedEmpty.body.reason]).toEqual([401, 'no_matching_signature']);
  });

  it('applies only where @WebhookReceiver() is: an unguarded route of the same app takes unsigned requests', async () => {
    const res = await post(r.url('/hooks/open'), '{"a":1}', {});
    expect(res).toEqual({ status: 200, body: { open: true, body: { a: 1 } } });
  });
});

describe('WebhookSignatureGuard without rawBody', () => {
  let r: ReceiverApp;
  const logger = new CapturingLogger();
  beforeAll(async () => {
    r = await startReceiverApp(WebhookReceiverModule.forRoot({ secrets: SECRET }), { rawBody: false, logger });
  });
  afterAll(async () => {
    await r?.close();
  });

  it('fails with a 500 saying to pass rawBody: true (and logs it once), never a verdict, and the handler does not run', async () => {
    const body = envelope();
    const good = await post(r.url('/hooks/in'), body, signed(body));
    const bad = await post(r.url('/hooks/in'), body, signed(body, [generateWebhookSecret()]));
    for (const res of [good, bad]) {
      expect(res.status).toBe(500);
      expect(res.body).toMatchObject({ reason: 'raw_body_unavailable' });
      expect(res.body.message).toMatch(/NestFactory\.create\(AppModule, \{ rawBody: true \}\)/);
    }
    expect(r.calls.events).toEqual([]);
    const logged = logger.lines.filter((l) => /rawBody: true/.test(l));
    expect(logged).toHaveLength(1);
  });
});

describe('WebhookSignatureGuard in body-hmac mode (GitHub-style)', () => {
  let r: ReceiverApp;
  const GH_SECRET = 'a-github-style-webhook-secret-of-some-length';
  beforeAll(async () => {
    r = await startReceiverApp(WebhookReceiverModule.forRoot({ scheme: 'body-hmac', secrets: GH_SECRET, signature_header: 'X-Hub-Signature-256' }));
  });
  afterAll(async () => {
    await r?.close();
  });

  it('accepts a signature made by @octokit/webhooks-methods', async () => {
    const body = JSON.stringify({ action: 'opened', number: 1 });
    const res = await post(r.url('/hooks/in'), body, { 'x-hub-signature-256': await octokitSign(GH_SECRET, body) });
    expect(res.status).toBe(200);
    expect(r.calls.events.at(-1)!.event).toMatchObject({ event_id: null, signed_at: null, payload: { action: 'opened', number: 1 } });
  });

  it('accepts the old secret in <header>-previous during the sender\'s rotation', async () => {
    const body = '{"rotated":true}';
    const res = await post(r.url('/hooks/in'), body, { 'x-hub-signature-256': signBodyHmac('the-new-secret-the-receiver-lacks', body), 'x-hub-signature-256-previous': signBodyHmac(GH_SECRET, body) });
    expect(res.status).toBe(200);
  });

  it('refuses a wrong secret, a changed body, a missing or a Standard Webhooks header, with their reasons', async () => {
    const body = '{"n":1}';
    const before = r.calls.events.length;
    const wrong = await post(r.url('/hooks/in'), body, { 'x-hub-signature-256': await octokitSign('some-other-secret-entirely', body) });
    const changed = await post(r.url('/hooks/in'), '{"n":2}', { 'x-hub-signature-256': await octokitSign(GH_SECRET, body) });
    const missing = await post(r.url('/hooks/in'), body, {});
    const standard = await post(r.url('/hooks/in'), body, { 'x-hub-signature-256': 'v1,' + Buffer.alloc(32).toString('base64') });
    expect([wrong, changed, missing, standard].map((a) => [a.status, a.body.reason])).toEqual([
      [401, 'no_matching_signature'],
      [401, 'no_matching_signature'],
      [401, 'missing_header'],
      [401, 'malformed_header'],
    ]);
    expect(standard.body.message).toMatch(/scheme: 'standard-webhooks'/);
    expect(r.calls.events.length).toBe(before);
  });

  it("takes event_id and event_type from the signed body, not from unsigned headers a resender can change", async () => {
    const body = JSON.stringify({ event_id: 'evt_real', event_type: 'order.created', occurred_at: new Date().toISOString(), source: null, payload: { n: 1 } });
    const res = await post(r.url('/hooks/in'), body, { 'x-hub-signature-256': await octokitSign(GH_SECRET, body), 'webhook-id': 'evt_FORGED', 'webhook-event-type': 'order.refunded' });
    expect(res.status).toBe(200);
    expect(r.calls.events.at(-1)!.event).toMatchObject({ event_id: 'evt_real', event_type: 'order.created' });
  });

  it('has no replay protection: body-hmac signs no id or time (documented), so the same request passes twice', async () => {
    const body = '{"again":true}';
    const headers = { 'x-hub-signature-256': await octokitSign(GH_SECRET, body) };
    expect((await post(r.url('/hooks/in'), body, headers)).status).toBe(200);
    expect((await post(r.url('/hooks/in'), body, headers)).status).toBe(200);
  });
});

describe('secret_resolver: a key per sender', () => {
  const TENANTS: Record<string, string> = { acme: generateWebhookSecret(), globex: generateWebhookSecret() };
  const logger = new CapturingLogger();
  let r: ReceiverApp;
  beforeAll(async () => {
    r = await startReceiverApp(
      WebhookReceiverModule.forRoot({
        secret_resolver: async (req: { headers: Record<string, string | undefined> }) => {
          const tenant = req.headers['x-tenant'];
          if (tenant === 'gone') throw new NotFoundException('tenant gone was deleted');
          if (tenant === 'broken') return 'whsec_';
          await new Promise((resolve) => setImmediate(resolve));
          return tenant ? TENANTS[tenant] : undefined;
        },
      }),
      { logger },
    );
  });
  afterAll(async () => {
    await r?.close();
  });

  it("verifies each request with its sender's key, and one sender's key does not pass for another", async () => {
    const body = envelope();
    expect((await post(r.url('/hooks/in'), body, { ...signed(body, [TENANTS.acme]), 'x-tenant': 'acme' })).status).toBe(200);
    expect((await post(r.url('/hooks/in'), body, { ...signed(body, [TENANTS.globex]), 'x-tenant': 'globex' })).status).toBe(200);
    const crossed = await post(r.url('/hooks/in'), body, { ...signed(body, [TENANTS.acme]), 'x-tenant': 'globex' });
    expect([crossed.status, crossed.body.reason]).toEqual([401, 'no_matching_signature']);
  });

  it('refuses a sender it has no key for (unknown_sender), passes on the resolver\'s own HttpException, and fails a malformed key with a 500 naming secret_resolver', async () => {
    const body = envelope();
    const before = r.calls.events.length;
    const unknown = await post(r.url('/hooks/in'), body, { ...signed(body), 'x-tenant': 'initech' });
    const gone = await post(r.url('/hooks/in'), body, { ...signed(body), 'x-tenant': 'gone' });
    const broken = await post(r.url('/hooks/in'), body, { ...signed(body), 'x-tenant': 'broken' });
    expect([unknown.status, unknown.body.reason]).toEqual([401, 'unknown_sender']);
    expect(gone.status).toBe(404);
    expect(broken.status).toBe(500);
    expect(logger.lines.join('\n')).toMatch(/"secret_resolver": returned a key that cannot verify anything/);
    expect(r.calls.events.length).toBe(before);
  });
});

describe('WebhookReceiverModule set-up', () => {
  let r: ReceiverApp | undefined;
  afterEach(async () => {
    await r?.close();
    r = undefined;
  });

  it('forRootAsync with useFactory and inject', async () => {
    const SECRETS = 'RECEIVER_SECRETS';
    r = await startReceiverApp(
      WebhookReceiverModule.forRootAsync({
        imports: [
          {
            module: class SecretsModule {},
            providers: [{ provide: SECRETS, useValue: [SECRET] }],
            exports: [SECRETS],
          },
        ],
        inject: [SECRETS],
        useFactory: (secrets: string[]) => ({ secrets, tolerance_seconds: 60 }),
      }),
    );
    const body = envelope();
    expect((await post(r.url('/hooks/in'), body, signed(body))).status).toBe(200);
    expect((await post(r.url('/hooks/in'), body, signed(body, [SECRET], `msg_${randomUUID()}`, now() - 61))).body.reason).toBe('timestamp_too_old');
  });

  it('forRootAsync with useClass', async () => {
    @Injectable()
    class ReceiverOptionsFactory {
      createWebhookReceiverOptions(): WebhookReceiverOptions {
        return { secrets: SECRET, event_id_header: 'X-Msg-Id', timestamp_header: 'x-msg-ts', signature_header: 'x-msg-sig' };
      }
    }
    r = await startReceiverApp(WebhookReceiverModule.forRootAsync({ useClass: ReceiverOptionsFactory }));
    const body = envelope();
    const h = signed(body);
    const res = await post(r.url('/hooks/in'), body, { 'x-msg-id': h['webhook-id'], 'x-msg-ts': h['webhook-timestamp'], 'x-msg-sig': h['webhook-signature'] });
    expect(res.status).toBe(200);
    expect((await post(r.url('/hooks/in'), body, signed(body))).body).toMatchObject({ reason: 'missing_header', message: expect.stringMatching(/x-msg-sig/) });
  });

  it('isGlobal: a feature module\'s controller uses the guard without importing the module; without it, start-up fails naming what is missing', async () => {
    @Controller('feature')
    class FeatureController {
      @Post()
      @WebhookReceiver()
      @HttpCode(200)
      receive(@WebhookEvent('event_type') type: string | null): { type: string | null } {
        return { type };
      }
    }
    @Module({ controllers: [FeatureController] })
    class FeatureModule {}

    const start = async (global: boolean) => {
      const ref = await Test.createTestingModule({ imports: [WebhookReceiverModule.forRoot({ secrets: SECRET, isGlobal: global }), FeatureModule] }).compile();
      const app = ref.createNestApplication({ rawBody: true, logger: false });
      await app.listen(0, '127.0.0.1');
      return app;
    };
    const app = await start(true);
    try {
      const body = envelope(undefined, 'feature.used');
      const res = await post(`http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}/feature`, body, signed(body));
      expect(res).toEqual({ status: 200, body: { type: 'feature.used' } });
    } finally {
      await app.close();
    }
    await expect(start(false)).rejects.toThrow(/WebhookSignatureVerifier/);
  });

  it("verifies bodies over express's 100 kB default once the app raises the limit with useBodyParser (the raw body is kept)", async () => {
    const body = envelope({ blob: 'x'.repeat(300_000) });
    r = await startReceiverApp(WebhookReceiverModule.forRoot({ secrets: SECRET }));
    expect((await post(r.url('/hooks/in'), body, signed(body))).status).toBe(413);
    await r.close();
    r = await startReceiverApp(WebhookReceiverModule.forRoot({ secrets: SECRET }), { prepare: (app) => (app as NestExpressApplication).useBodyParser('json', { limit: '1mb' }) });
    expect((await post(r.url('/hooks/in'), body, signed(body))).status).toBe(200);
    expect(r.calls.events[0].payload).toEqual({ blob: 'x'.repeat(300_000) });
  });

  it('stops at start-up naming the option when the options are wrong', async () => {
    await expect(startReceiverApp(WebhookReceiverModule.forRoot({}))).rejects.toThrow(/option "secrets": missing/);
    await expect(startReceiverApp(WebhookReceiverModule.forRoot({ secrets: 'whsec_short' }))).rejects.toThrow(/option "secrets": the key is malformed: a whsec_ secret is whsec_ followed by the base64 of at least 16 bytes/);
    await expect(startReceiverApp(WebhookReceiverModule.forRootAsync({ useFactory: () => ({ secrets: SECRET, tolerance_seconds: 0 }) }))).rejects.toThrow(/option "tolerance_seconds"/);
  });
});
