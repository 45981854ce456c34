import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from '@jest/globals';
import type { LoggerService } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { DataSource } from 'typeorm';
import { SecretDecryptionError, WEBHOOK_DELIVERY_STORE, WebhookDeliveryService, WebhookModule, WebhookSubscriptionService, type WebhookDeliveryStore, type WebhookModuleOptions, type WebhookSubscription } from '../../lib';
import { standardWebhooksKey } from '../../lib/signing/secret';
import { secretKeyId } from '../../lib/security/secret-cipher';
import { WEBHOOK_ENTITIES, WEBHOOK_MIGRATIONS } from '../../lib/stores/typeorm';
import { FAST } from '../support/app';
import { closeTestDataSource, createTestDataSource, describeIfDatabase, type DatabaseKind } from '../support/databases';
import { failTimes, ok, TestReceiver, waitFor, type ReceivedRequest } from '../support/receiver';

const newKey = () => randomBytes(32).toString('base64');
const KEY_A = newKey();
const KEY_B = newKey();
const UNRELATED = newKey();
const idOf = (key: string) => secretKeyId(Buffer.from(key, 'base64'));

/** Every way a secret could be written down: as given, its base64 body, the key bytes in hex and base64url. */
function secretForms(secret: string): string[] {
  const key = standardWebhooksKey(secret);
  return [secret, secret.replace(/^whsec_/, ''), key.toString('hex'), key.toString('base64url')];
}

interface App {
  module: TestingModule;
  subscriptions: WebhookSubscriptionService;
  delivery: WebhookDeliveryService;
  deliveries: WebhookDeliveryStore;
  close(): Promise<void>;
}

/** The sealed columns of a row as the database holds them (a plain query: no entity, no transformer). */
interface RawRow {
  secret: string;
  previous_secret: string | null;
  headers: string | null;
}

function verifies(req: ReceivedRequest, secret: string): boolean {
  try {
    new Webhook(secret).verify(req.body, req.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

/**
 * Issue 18, secrets encrypted at rest (`secret_encryption_keys`), on each database: through the module, with
 * deliveries to a real receiver checked by the official `standardwebhooks` library, and the rows read back
 * with plain SQL.
 */
function describeSecretsAtRest(kind: DatabaseKind): void {
  describeIfDatabase(kind, `secrets encrypted at rest on ${kind}`, () => {
    let ds: DataSource;
    let receiver: TestReceiver;
    const apps: App[] = [];
    const logs: string[] = [];
    const logger: LoggerService = {
      log: (m: unknown) => void logs.push(`log: ${String(m)}`),
      error: (m: unknown) => void logs.push(`error: ${String(m)}`),
      warn: (m: unknown) => void logs.push(`warn: ${String(m)}`),
      debug: () => undefined,
      verbose: () => undefined,
    };

    beforeAll(async () => {
      ds = await createTestDataSource(kind, { namespace: `webhook_crypt_${kind}`, migrations: WEBHOOK_MIGRATIONS });
      receiver = await TestReceiver.start();
    });
    beforeEach(async () => {
      for (const entity of WEBHOOK_ENTITIES) await ds.getRepository(entity).clear();
      logs.length = 0;
    });
    afterEach(async () => {
      for (const app of apps.splice(0)) await app.close();
    });
    afterAll(async () => {
      await receiver?.close();
      await closeTestDataSource(ds);
    });

    /** The module on the shared database, with these keys (a restart of the app with a new config). */
    async function start(keys: string[], options: WebhookModuleOptions = {}): Promise<App> {
      const builder = Test.createTestingModule({
        imports: [WebhookModule.forRoot({ ...FAST, ...options, store_backend: 'typeorm', secret_encryption_keys: keys })],
        providers: [{ provide: getDataSourceToken(), useValue: ds }],
      });
      builder.setLogger(logger);
      const module = await builder.compile();
      await module.init();
      let closed = false;
      const app: App = {
        module,
        subscriptions: module.get(WebhookSubscriptionService),
        delivery: module.get(WebhookDeliveryService),
        deliveries: module.get(WEBHOOK_DELIVERY_STORE),
        close: async () => {
          if (closed) return;
          closed = true;
          await module.close();
        },
      };
      apps.push(app);
      return app;
    }

    const rowsQuery = () =>
      ds.createQueryBuilder().select('s.subscription_id', 'subscription_id').addSelect('s.secret', 'secret').addSelect('s.previous_secret', 'previous_secret').addSelect('s.headers', 'headers').from('webhook_subscriptions', 's');

    async function rawRow(id: string): Promise<RawRow> {
      const row = await rowsQuery().where('s.subscription_id = :id', { id }).getRawOne<RawRow>();
      if (!row) throw new Error(`no row ${id}`);
      return row;
    }

    /** Every row of every webhook table, as text: what a database dump holds. */
    async function dump(): Promise<string> {
      const tables: unknown[] = [];
      for (const entity of WEBHOOK_ENTITIES) tables.push(await ds.createQueryBuilder().select('*').from(entity, 't').getRawMany());
      return JSON.stringify(tables);
    }

    /** The requests received at `path` once there are `n`. */
    const received = (path: string, n = 1) => waitFor(() => receiver.received(path).length >= n && receiver.received(path), `${n} request(s) at ${path}`, 15_000);

    it('stores secrets, previous secrets and header values encrypted; deliveries verify with standardwebhooks', async () => {
      const t = await start([KEY_A]);
      receiver.on(`/${kind}/sealed`, ok());
      const headerValue = `hdr-${randomBytes(12).toString('hex')}`;
      const created = await t.subscriptions.create({ url: receiver.url(`/${kind}/sealed`), event_types: ['sealed.check'], headers: { 'X-Api-Key': headerValue } });
      const rotated = await t.subscriptions.rotateSecret(created.subscription_id);
      expect(rotated.previous_secret).toBe(created.secret);

      const raw = await rawRow(created.subscription_id);
      expect(raw.secret).toMatch(new RegExp(`^enc:v1:${idOf(KEY_A)}:`));
      expect(raw.previous_secret).toMatch(new RegExp(`^enc:v1:${idOf(KEY_A)}:`));
      expect(JSON.parse(raw.headers!)).toMatch(new RegExp(`^enc:v1:${idOf(KEY_A)}:`));
      expect(raw.headers).not.toContain('x-api-key');

      const { event_id } = await t.delivery.dispatch({ event_type: 'sealed.check', payload: { n: 1 } });
      const [req] = await received(`/${kind}/sealed`);
      // the new secret and, during its grace period, the previous one: both signatures verify
      expect(new Webhook(rotated.secret).verify(req.body, req.headers as Record<string, string>)).toMatchObject({ event_id, payload: { n: 1 } });
      expect(verifies(req, created.secret)).toBe(true);
      expect(req.headers['x-api-key']).toBe(headerValue);

      // read back through the module as plaintext
      expect(await t.subscriptions.get(created.subscription_id)).toMatchObject({ secret: rotated.secret, previous_secret: created.secret, headers: { 'x-api-key': headerValue } });
      // and nowhere in the database in any form, after a delivery was logged
      await waitFor(async () => (await t.deliveries.getAttempts({ event_id })).length === 1, 'the attempt log');
      const everything = await dump();
      for (const form of [...secretForms(created.secret), ...secretForms(rotated.secret), headerValue]) expect(everything).not.toContain(form);
    });

    it('reads a plaintext row written before encryption was turned on, and encrypts it when next written', async () => {
      let t = await start([]);
      receiver.on(`/${kind}/plain-a`, ok()).on(`/${kind}/plain-b`, ok());
      const a = await t.subscriptions.create({ url: receiver.url(`/${kind}/plain-a`), event_types: ['plain.check'], headers: { 'X-Api-Key': 'plain-header-a' } });
      const b = await t.subscriptions.create({ url: receiver.url(`/${kind}/plain-b`), event_types: ['plain.check'] });
      expect((await rawRow(a.subscription_id)).secret).toBe(a.secret); // stored as given without keys
      await t.close();

      t = await start([KEY_A]);
      await t.delivery.dispatch({ event_type: 'plain.check', payload: { n: 1 } });
      const [toA] = await received(`/${kind}/plain-a`);
      const [toB] = await received(`/${kind}/plain-b`);
      expect(verifies(toA, a.secret)).toBe(true);
      expect(toA.headers['x-api-key']).toBe('plain-header-a');
      expect(verifies(toB, b.secret)).toBe(true);
      expect((await rawRow(a.subscription_id)).secret).toBe(a.secret); // reading does not write

      // the next write of each row encrypts it: an update, a rotation
      await t.subscriptions.update(a.subscription_id, { description: 'touched' });
      const rotatedB = await t.subscriptions.rotateSecret(b.subscription_id);
      const rawA = await rawRow(a.subscription_id);
      const rawB = await rawRow(b.subscription_id);
      expect(rawA.secret).toMatch(new RegExp(`^enc:v1:${idOf(KEY_A)}:`));
      expect(JSON.parse(rawA.headers!)).toMatch(/^enc:v1:/);
      expect(rawB.secret).toMatch(/^enc:v1:/);
      expect(rawB.previous_secret).toMatch(/^enc:v1:/);
      const everything = await dump();
      for (const form of [...secretForms(a.secret), ...secretForms(b.secret), ...secretForms(rotatedB.secret), 'plain-header-a']) expect(everything).not.toContain(form);

      await t.delivery.dispatch({ event_type: 'plain.check', payload: { n: 2 } });
      const [, againA] = await received(`/${kind}/plain-a`, 2);
      const [, againB] = await received(`/${kind}/plain-b`, 2);
      expect(verifies(againA, a.secret)).toBe(true);
      expect(againA.headers['x-api-key']).toBe('plain-header-a');
      expect(verifies(againB, rotatedB.secret) && verifies(againB, b.secret)).toBe(true);
    });

    it('reencryptSecrets() moves every row to the new first key (over several batches); then the old key can go', async () => {
      let t = await start([]);
      receiver.on(`/${kind}/rotated-key`, ok());
      // plaintext rows, more than two batches of them, half with headers
      const many = await t.subscriptions.createMany(
        Array.from({ length: 1100 }, (_, i) => ({ url: receiver.url(`/${kind}/never`), event_types: ['bulk.none'], headers: i % 2 ? { 'X-Api-Key': `bulk-${i}` } : null })),
      );
      const rotatedPlain = await t.subscriptions.rotateSecret(many[7].subscription_id);
      await t.close();
      // rows written under the old key
      t = await start([KEY_A]);
      const target = await t.subscriptions.create({ url: receiver.url(`/${kind}/rotated-key`), event_types: ['rekey.check'], headers: { 'X-Api-Key': 'rekey-header' } });
      const rotatedTarget = await t.subscriptions.rotateSecret(target.subscription_id);
      await t.close();

      // the new key first, the old one kept
      t = await start([KEY_B, KEY_A]);
      expect(await t.subscriptions.reencryptSecrets()).toEqual({ reencrypted: 1101 });
      expect(await t.subscriptions.reencryptSecrets()).toEqual({ reencrypted: 0 });
      await t.close();

      const rows = await rowsQuery().getRawMany<RawRow>();
      expect(rows).toHaveLength(1101);
      const underB = new RegExp(`^enc:v1:${idOf(KEY_B)}:`);
      for (const row of rows) {
        expect(row.secret).toMatch(underB);
        if (row.previous_secret !== null) expect(row.previous_secret).toMatch(underB);
        if (row.headers !== null) expect(JSON.parse(row.headers)).toMatch(underB);
      }
      expect(rows.filter((r) => r.previous_secret !== null)).toHaveLength(2);
      expect(rows.filter((r) => r.headers !== null)).toHaveLength(551);

      // the old key removed: everything still reads, with the same values, and delivers
      t = await start([KEY_B]);
      const expected = new Map<string, WebhookSubscription>([...many, rotatedPlain, rotatedTarget].map((s) => [s.subscription_id, s]));
      const listed: WebhookSubscription[] = [];
      for (let page: WebhookSubscription[] = []; listed.length === 0 || page.length === 1000; ) {
        page = await t.subscriptions.list({ active_only: false, limit: 1000, after: listed.at(-1) });
        listed.push(...page);
      }
      expect(listed).toHaveLength(1101);
      for (const sub of listed) {
        const before = expected.get(sub.subscription_id)!;
        expect({ secret: sub.secret, previous_secret: sub.previous_secret ?? null, headers: sub.headers }).toEqual({
          secret: before.secret,
          previous_secret: before.previous_secret ?? null,
          headers: before.headers ?? {},
        });
      }
      await t.delivery.dispatch({ event_type: 'rekey.check', payload: { n: 1 } });
      const [req] = await received(`/${kind}/rotated-key`);
      expect(verifies(req, rotatedTarget.secret) && verifies(req, target.secret)).toBe(true);
      expect(req.headers['x-api-key']).toBe('rekey-header');
      expect(receiver.received(`/${kind}/never`)).toHaveLength(0);
    });

    it('with only an unrelated key, fails clearly naming secret_encryption_keys and sends nothing; the right key sends it', async () => {
      const retryIn2s: WebhookModuleOptions = { retry_base_delay: 2, retry_max_delay: 2, retry_jitter: 0, retry_max_attempts: 5 };
      receiver.on(`/${kind}/wrong`, failTimes(1, 503)).on(`/${kind}/other`, ok());
      let t = await start([KEY_A], retryIn2s);
      const sub = await t.subscriptions.create({ url: receiver.url(`/${kind}/wrong`), event_types: ['wrong.key'] });
      const { event_id } = await t.delivery.dispatch({ event_type: 'wrong.key', payload: { n: 1 } });
      const [first] = await received(`/${kind}/wrong`);
      expect(verifies(first, sub.secret)).toBe(true);
      await waitFor(async () => (await t.deliveries.getAttempts({ event_id })).length === 1, 'the failed attempt');
      await t.close(); // the retry is due 2 s after the failure

      t = await start([UNRELATED], retryIn2s);
      const readError = await t.subscriptions.get(sub.subscription_id).then(
        () => new Error('get() should have failed'),
        (err: unknown) => err as Error,
      );
      expect(readError).toBeInstanceOf(SecretDecryptionError);
      expect(readError.message).toContain('secret_encryption_keys');
      expect(readError.message).toContain(sub.subscription_id);
      expect(readError.message).toContain(idOf(KEY_A));
      await expect(t.subscriptions.list({ active_only: false })).rejects.toThrow(/secret_encryption_keys/);
      await expect(t.subscriptions.reencryptSecrets()).rejects.toThrow(SecretDecryptionError);
      // the due retry is claimed and refused: logged, never sent with a wrong signature
      const line = await waitFor(() => logs.find((l) => l.startsWith('error:') && l.includes(sub.subscription_id) && l.includes('secret_encryption_keys')), 'the error log line', 15_000);
      expect(line).toContain('not sent');
      // the rest of the module works: a subscription sealed with this key delivers meanwhile
      const other = await t.subscriptions.create({ url: receiver.url(`/${kind}/other`), event_types: ['other.check'] });
      await t.delivery.dispatch({ event_type: 'other.check', payload: { n: 1 } });
      const [toOther] = await received(`/${kind}/other`);
      expect(verifies(toOther, other.secret)).toBe(true);
      expect(receiver.received(`/${kind}/wrong`)).toHaveLength(1);
      expect(await t.deliveries.getAttempts({ event_id })).toHaveLength(1);
      await t.close();

      // with its key back, the delivery goes out, signed right
      t = await start([UNRELATED, KEY_A], retryIn2s);
      const [, second] = await received(`/${kind}/wrong`, 2);
      expect(verifies(second, sub.secret)).toBe(true);
      expect(receiver.received(`/${kind}/wrong`)).toHaveLength(2);
    });
  });
}

describeSecretsAtRest('sqlite');
describeSecretsAtRest('postgres');
describeSecretsAtRest('mariadb');
