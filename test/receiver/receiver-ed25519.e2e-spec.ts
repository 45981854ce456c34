import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { createHmac, randomUUID } from 'node:crypto';
import { generateWebhookSecret, WEBHOOK_DELIVERY_STORE, WebhookReceiverModule, WebhookSubscriptionService, WebhookDeliveryService, type WebhookDeliveryStore } from '../../lib';
import { signStandardWebhooks } from '../../lib/signing/signature';
import { standardWebhooksKey } from '../../lib/signing/secret';
import { startOnStore } from '../support/app';
import { describeIfDatabase } from '../support/databases';
import { waitFor } from '../support/receiver';
import { ed25519Pair, signV1a } from './ed25519-support';
import { post, startReceiverApp, type ReceiverApp } from './receiver-test-app';

const now = () => Math.floor(Date.now() / 1000);
const PAIR = ed25519Pair();
const OLD_PAIR = ed25519Pair();
const HMAC_SECRET = generateWebhookSecret();

function envelope(): string {
  return JSON.stringify({ event_id: `evt_${randomUUID()}`, event_type: 'order.created', occurred_at: new Date().toISOString(), source: null, payload: { n: 1 } });
}

/** Headers with `signatures(id, ts)` as the signature header. */
function headersWith(signatures: (id: string, ts: number) => string[], id = `msg_${randomUUID()}`, ts = now()): Record<string, string> {
  return { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': signatures(id, ts).join(' ') };
}

describe('WebhookSignatureGuard with ed25519 public keys (v1a)', () => {
  let r: ReceiverApp;
  beforeAll(async () => {
    r = await startReceiverApp(WebhookReceiverModule.forRoot({ secrets: [PAIR.public_key, HMAC_SECRET] }));
  });
  afterAll(async () => {
    await r?.close();
  });

  async function refused(body: string, headers: Record<string, string>): Promise<string> {
    const before = r.calls.events.length;
    const res = await post(r.url('/hooks/in'), body, headers);
    expect(res.status).toBe(401);
    expect(r.calls.events.length).toBe(before);
    return res.body.reason as string;
  }

  it('accepts a v1a signature made with node:crypto alone, checked with only the whpk_ key', async () => {
    const body = envelope();
    const headers = headersWith((id, ts) => [signV1a(PAIR, id, ts, body)]);
    const res = await post(r.url('/hooks/in'), body, headers);
    expect(res.status).toBe(200);
    expect(r.calls.events.at(-1)!.event).toMatchObject({ event_id: headers['webhook-id'], payload: { n: 1 } });
  });

  it('accepts v1 (HMAC) and v1a (ed25519) requests on a receiver holding both kinds of key', async () => {
    const body = envelope();
    expect((await post(r.url('/hooks/in'), body, headersWith((id, ts) => [signStandardWebhooks(HMAC_SECRET, id, ts, body)]))).status).toBe(200);
    expect((await post(r.url('/hooks/in'), body, headersWith((id, ts) => [signV1a(PAIR, id, ts, body)]))).status).toBe(200);
  });

  it('refuses a v1 signature made with the whpk_ key as an HMAC key (no key confusion)', async () => {
    const body = envelope();
    const rawKeyed = headersWith((id, ts) => ['v1,' + createHmac('sha256', PAIR.raw_public).update(`${id}.${ts}.${body}`).digest('base64')]);
    const stringKeyed = headersWith((id, ts) => ['v1,' + createHmac('sha256', standardWebhooksKey(PAIR.public_key)).update(`${id}.${ts}.${body}`).digest('base64')]);
    expect(await refused(body, rawKeyed)).toBe('no_matching_signature');
    expect(await refused(body, stringKeyed)).toBe('no_matching_signature');
  });

  it('refuses a v1a signature by another key, or over a changed body', async () => {
    const body = envelope();
    expect(await refused(body, headersWith((id, ts) => [signV1a(ed25519Pair(), id, ts, body)]))).toBe('no_matching_signature');
    const headers = headersWith((id, ts) => [signV1a(PAIR, id, ts, body)]);
    expect(await refused(body.replace('"n":1', '"n":2'), headers)).toBe('no_matching_signature');
  });

  it('refuses a replayed v1a request, also with its signature re-encoded in non-canonical base64', async () => {
    const body = envelope();
    const headers = headersWith((id, ts) => [signV1a(PAIR, id, ts, body)]);
    expect((await post(r.url('/hooks/in'), body, headers)).status).toBe(200);
    expect(await refused(body, headers)).toBe('replayed');
    // 64 bytes take 86 base64 characters, the last carrying 2 unused bits: flip one
    const sig = headers['webhook-signature'];
    const last = sig.at(-3)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    const twin = sig.slice(0, -3) + alphabet[alphabet.indexOf(last) ^ 1] + '==';
    expect(Buffer.from(twin.slice(4), 'base64').equals(Buffer.from(sig.slice(4), 'base64'))).toBe(true);
    expect(['replayed', 'no_matching_signature']).toContain(await refused(body, { ...headers, 'webhook-signature': twin }));
  });

  it('accepts a rotation header (v1a,<new> v1a,<old>) when the receiver holds only the old public key', async () => {
    const old = await startReceiverApp(WebhookReceiverModule.forRoot({ secrets: OLD_PAIR.public_key }));
    try {
      const body = envelope();
      const res = await post(old.url('/hooks/in'), body, headersWith((id, ts) => [signV1a(PAIR, id, ts, body), signV1a(OLD_PAIR, id, ts, body)]));
      expect(res.status).toBe(200);
    } finally {
      await old.close();
    }
  });
});

/** What an ed25519 subscription holds on the ed25519 branch (typed loosely: this branch's types lack it). */
type Ed25519Subscription = { subscription_id: string; secret: string; public_key: string };

describe('sender ed25519 subscriptions -> receiver holding the public key', () => {
  for (const kind of ['memory', 'postgres'] as const) {
    const describeStore = kind === 'memory' ? describe : (name: string, fn: () => void) => describeIfDatabase('postgres', name, fn);
    describeStore(`sender on ${kind}`, () => {
      let sender: { module: TestingModule; close(): Promise<void> };
      let receiver: ReceiverApp;
      let keys: string[] = [];
      beforeAll(async () => {
        receiver = await startReceiverApp(WebhookReceiverModule.forRoot({ secret_resolver: () => keys }));
        sender = await startOnStore(kind, { secret_rotation_grace_hours: 1 }, { namespace: 'receiver_ed25519' });
      });
      afterAll(async () => {
        await sender?.close();
        await receiver?.close();
      });

      it('delivers v1a-signed events the receiver accepts with the public key, during a rotation too', async () => {
        const subscriptions = sender.module.get(WebhookSubscriptionService);
        const delivery = sender.module.get(WebhookDeliveryService);
        const store = sender.module.get<WebhookDeliveryStore>(WEBHOOK_DELIVERY_STORE);
        const create = subscriptions.create.bind(subscriptions) as unknown as (input: Record<string, unknown>) => Promise<Ed25519Subscription>;
        const sub = await create({ url: receiver.url('/hooks/in'), event_types: ['signed.ed25519'], signature_type: 'ed25519' });
        expect(sub.public_key).toMatch(/^whpk_/);
        const deliveredWith = async (held: string[]) => {
          keys = held;
          const { event_id } = await delivery.dispatch({ event_type: 'signed.ed25519', payload: { held: held.length } });
          const attempt = await waitFor(async () => (await store.getAttempts({ event_id })).find((a) => a.status === 'delivered' || a.status === 'dead_letter'), 'a final attempt');
          return [attempt.status, attempt.status_code];
        };
        expect(await deliveredWith([sub.public_key])).toEqual(['delivered', 200]);
        const rotated = (await subscriptions.rotateSecret(sub.subscription_id)) as unknown as Ed25519Subscription;
        expect(rotated.public_key).not.toBe(sub.public_key);
        expect(await deliveredWith([sub.public_key])).toEqual(['delivered', 200]);
        expect(await deliveredWith([rotated.public_key])).toEqual(['delivered', 200]);
      });
    });
  }
});
