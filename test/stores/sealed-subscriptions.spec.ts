import { afterAll, beforeAll, beforeEach, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { WebhookSubscription } from '../../lib/domain/types';
import { SecretDecryptionError } from '../../lib/domain/webhook.error';
import { SecretCipher, secretKeyId } from '../../lib/security/secret-cipher';
import { TypeOrmSubscriptionStore, WEBHOOK_ENTITIES, WEBHOOK_MIGRATIONS, WebhookDataSourceRef, WebhookSubscriptionEntity } from '../../lib/stores/typeorm';
import { closeTestDataSource, createTestDataSource, describeIfDatabase, type DatabaseKind } from '../support/databases';
import { sleep } from '../support/receiver';

const KEY_A = randomBytes(32).toString('base64');
const KEY_B = randomBytes(32).toString('base64');
const idOf = (key: string) => secretKeyId(Buffer.from(key, 'base64'));
const secret = () => `whsec_${randomBytes(32).toString('base64')}`;

function subscription(id: string, over: Partial<WebhookSubscription> = {}): WebhookSubscription {
  return {
    subscription_id: id,
    url: `https://${id}.example.com/hook`,
    secret: secret(),
    event_types: ['invoice.*'],
    active: true,
    description: null,
    tenant_id: 'tenant-1',
    created_at: new Date('2031-01-01T00:00:00.000Z'),
    metadata: {},
    previous_secret: secret(),
    previous_secret_expires_at: new Date('2031-01-02T00:00:00.000Z'),
    disabled_reason: null,
    headers: { 'x-api-key': `value-of-${id}` },
    filter: null,
    retry_max_attempts: null,
    delivery_timeout_seconds: null,
    max_concurrent_per_endpoint: null,
    rate_limit_per_second: null,
    ordered: false,
    ...over,
  };
}

const sealedFields = (s: WebhookSubscription) => ({ secret: s.secret, previous_secret: s.previous_secret, headers: s.headers });

/**
 * The TypeORM subscription store with `secret_encryption_keys`, on each database: every read path gives the
 * plaintext back while the rows (read with plain SQL) hold none of it; a sealed value moved to another row does
 * not decrypt; `reencryptSecrets()` never overwrites a concurrent update.
 */
function describeSealedStore(kind: DatabaseKind): void {
  describeIfDatabase(kind, `TypeORM subscription store with encrypted secrets on ${kind}`, () => {
    let ds: DataSource;
    let store: TypeOrmSubscriptionStore;

    beforeAll(async () => {
      ds = await createTestDataSource(kind, { namespace: `webhook_sealed_${kind}`, migrations: WEBHOOK_MIGRATIONS });
      store = new TypeOrmSubscriptionStore(WebhookDataSourceRef.of(ds), new SecretCipher([KEY_A]));
    });
    beforeEach(async () => {
      for (const entity of WEBHOOK_ENTITIES) await ds.getRepository(entity).clear();
    });
    afterAll(async () => {
      await closeTestDataSource(ds);
    });

    const raw = (id: string) =>
      ds
        .createQueryBuilder()
        .select('s.secret', 'secret')
        .addSelect('s.previous_secret', 'previous_secret')
        .addSelect('s.headers', 'headers')
        .from('webhook_subscriptions', 's')
        .where('s.subscription_id = :id', { id })
        .getRawOne<{ secret: string; previous_secret: string | null; headers: string | null }>();

    it('every read path gives the plaintext back; the rows hold none of it', async () => {
      const one = subscription('one');
      const [two, three] = [subscription('two'), subscription('three', { previous_secret: null, previous_secret_expires_at: null, headers: {} })];
      await store.create(one);
      await store.createMany([two, three]);
      for (const s of [one, two, three]) {
        const row = (await raw(s.subscription_id))!;
        const text = JSON.stringify(row);
        for (const value of [s.secret, s.previous_secret, ...Object.values(s.headers ?? {})].filter(Boolean)) expect(text).not.toContain(value);
        expect(row.secret).toMatch(new RegExp(`^enc:v1:${idOf(KEY_A)}:`));
      }
      expect(await raw('three')).toMatchObject({ previous_secret: null, headers: null });

      const want = new Map([one, two, three].map((s) => [s.subscription_id, sealedFields({ ...s, headers: s.headers ?? {} })]));
      const check = (got: WebhookSubscription[]) => {
        expect(got.length).toBeGreaterThan(0);
        for (const s of got) expect(sealedFields(s)).toEqual(want.get(s.subscription_id));
      };
      check([(await store.get('one'))!]);
      check(await store.getMany(['one', 'two', 'three']));
      check(await store.list());
      check(await store.list({ event_type: 'invoice.paid' }));
      check(await store.list({ tenant_id: 'tenant-1' }));
      check(await store.match({ event_type: 'invoice.paid', tenant_id: 'tenant-1' }));
      check(await store.match({ event_type: 'invoice.paid', tenant_id: null }));
      expect((await store.list({ event_type: 'invoice.paid' })).length).toBe(3);

      const updated = { ...one, secret: secret(), headers: { 'x-api-key': 'changed-value' } };
      await store.update(updated);
      expect(sealedFields((await store.get('one'))!)).toEqual(sealedFields(updated));
      expect(JSON.stringify(await raw('one'))).not.toContain('changed-value');
    });

    it('a sealed value copied to another row or column does not decrypt (and says secret_encryption_keys)', async () => {
      await store.createMany([subscription('source'), subscription('target')]);
      const source = (await raw('source'))!;
      const sql = ds.createQueryBuilder().update(WebhookSubscriptionEntity);
      await sql.set({ secret: source.secret }).where('subscription_id = :id', { id: 'target' }).execute();
      await expect(store.get('target')).rejects.toThrow(SecretDecryptionError);
      await expect(store.get('target')).rejects.toThrow(/secret of subscription target with key .* of secret_encryption_keys: the stored value was altered, or copied/);
      await ds.createQueryBuilder().update(WebhookSubscriptionEntity).set({ secret: source.previous_secret! }).where('subscription_id = :id', { id: 'source' }).execute();
      await expect(store.get('source')).rejects.toThrow(SecretDecryptionError);
    });

    it('reencryptSecrets() waits for a concurrent update of a row and re-encrypts what it wrote, never the value before it', async () => {
      await store.createMany([subscription('busy'), subscription('idle')]);
      const rotated = secret();
      // Another connection updates `busy` (as a replica on the old key would) and holds its transaction open.
      const peer = kind === 'sqlite' ? null : await createTestDataSource(kind, { namespace: `webhook_sealed_${kind}`, dropSchema: false, synchronize: false, migrationsRun: false });
      const reencrypting = new TypeOrmSubscriptionStore(WebhookDataSourceRef.of(ds), new SecretCipher([KEY_B, KEY_A]));
      try {
        if (peer) {
          const runner = peer.createQueryRunner();
          await runner.connect();
          await runner.startTransaction();
          const sealed = new SecretCipher([KEY_A]).seal(rotated, 'secret of subscription busy');
          await runner.manager.createQueryBuilder().update(WebhookSubscriptionEntity).set({ secret: sealed }).where('subscription_id = :id', { id: 'busy' }).execute();
          const running = reencrypting.reencryptSecrets();
          await sleep(500); // reencryptSecrets() now waits on the row lock
          await runner.commitTransaction();
          await runner.release();
          expect(await running).toBe(2);
        } else {
          // SQLite runs one operation at a time: an update through the store simply goes before or after.
          await Promise.all([store.update({ ...(await store.get('busy'))!, secret: rotated }), reencrypting.reencryptSecrets()]);
          await reencrypting.reencryptSecrets();
        }
      } finally {
        await closeTestDataSource(peer ?? undefined);
      }
      expect((await reencrypting.get('busy'))!.secret).toBe(rotated);
      expect((await raw('busy'))!.secret).toMatch(new RegExp(`^enc:v1:${idOf(KEY_B)}:`));
      expect((await raw('idle'))!.secret).toMatch(new RegExp(`^enc:v1:${idOf(KEY_B)}:`));
      // the old key can go
      expect((await new TypeOrmSubscriptionStore(WebhookDataSourceRef.of(ds), new SecretCipher([KEY_B])).get('busy'))!.secret).toBe(rotated);
    });
  });
}

describeSealedStore('sqlite');
describeSealedStore('postgres');
describeSealedStore('mariadb');
