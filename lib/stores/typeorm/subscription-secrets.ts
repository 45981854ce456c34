import { SecretCipher } from '../../security/secret-cipher';
import type { TypeOrmStoreContext } from './store-context';
import { WebhookSubscriptionEntity } from './webhook-subscription.entity';

/** The columns of `webhook_subscriptions` kept encrypted when `secret_encryption_keys` is set. */
export type SealedColumn = 'secret' | 'previous_secret' | 'headers';

/** Rows re-encrypted per transaction by {@link reencryptSubscriptionSecrets}. */
const REENCRYPT_BATCH = 500;

/**
 * What a sealed value of `column` in row `subscriptionId` is bound to (the cipher's associated data, so a value
 * copied to another row or column does not decrypt; it also names the value in errors). Stored values depend on
 * this text: never change it.
 */
export function sealContext(subscriptionId: string, column: SealedColumn): string {
  return `${column} of subscription ${subscriptionId}`;
}

/**
 * A subscription row as it is written: `secret`, `previous_secret` and the `headers` object (as one JSON text,
 * names and values) encrypted with the cipher's first key. Unchanged when the cipher has no keys.
 */
export function sealSubscriptionRow(row: WebhookSubscriptionEntity, cipher: SecretCipher): WebhookSubscriptionEntity {
  if (!cipher.enabled) return row;
  const id = row.subscription_id;
  return {
    ...row,
    secret: cipher.seal(row.secret, sealContext(id, 'secret')),
    previous_secret: row.previous_secret == null ? null : cipher.seal(row.previous_secret, sealContext(id, 'previous_secret')),
    headers: row.headers == null ? null : asHeadersColumn(cipher.seal(JSON.stringify(row.headers), sealContext(id, 'headers'))),
  };
}

/**
 * A subscription row as read, with its sealed columns decrypted (plaintext ones, from before encryption was
 * turned on, are kept as they are). Throws `SecretDecryptionError` when one cannot be decrypted.
 */
export function openSubscriptionRow(row: WebhookSubscriptionEntity, cipher: SecretCipher): WebhookSubscriptionEntity {
  const id = row.subscription_id;
  const headers = storedHeaders(row);
  if (typeof headers !== 'string' && !isSealed(row.secret) && !isSealed(row.previous_secret)) return row;
  return {
    ...row,
    secret: cipher.open(row.secret, sealContext(id, 'secret')),
    previous_secret: row.previous_secret == null ? null : cipher.open(row.previous_secret, sealContext(id, 'previous_secret')),
    headers: typeof headers === 'string' ? (JSON.parse(cipher.open(headers, sealContext(id, 'headers'))) as Record<string, string>) : headers,
  };
}

/**
 * The `headers` column as stored: the JSON object, or, sealed, one JSON string. The entity types it as the
 * object (what every other reader of the row gets): the sealed form exists only between these functions and
 * the database.
 */
function storedHeaders(row: Pick<WebhookSubscriptionEntity, 'headers'>): Record<string, string> | string | null {
  return row.headers ?? null;
}

function asHeadersColumn(sealed: string): Record<string, string> {
  return sealed as unknown as Record<string, string>;
}

function isSealed(value: string | null | undefined): boolean {
  return typeof value === 'string' && SecretCipher.isSealed(value);
}

/** Whether every sealed column of `row` is plaintext-free and under the cipher's first key. */
function isCurrent(row: Pick<WebhookSubscriptionEntity, SealedColumn>, cipher: SecretCipher): boolean {
  const headers = storedHeaders(row);
  return cipher.isCurrent(row.secret) && (row.previous_secret == null || cipher.isCurrent(row.previous_secret)) && (headers === null || (typeof headers === 'string' && cipher.isCurrent(headers)));
}

/**
 * Re-encrypts, with the cipher's first key, every subscription row that holds a plaintext value or one sealed
 * with another key; returns how many rows were rewritten. Pages by subscription id (keyset), one transaction of
 * {@link REENCRYPT_BATCH} rows at a time, the rows locked (`FOR UPDATE`; SQLite runs one operation at a time) so
 * that a concurrent update is never overwritten with the value read before it. Values keep their meaning, so no
 * change is logged: other processes' caches stay valid. A value no key decrypts stops it with a
 * `SecretDecryptionError`, the rows before it done (running it again continues).
 */
export async function reencryptSubscriptionSecrets(ctx: TypeOrmStoreContext, cipher: SecretCipher): Promise<number> {
  if (!cipher.enabled) return 0;
  let total = 0;
  for (let after = ''; ; ) {
    const page = await ctx.run((ds, dialect) =>
      ds.transaction(async (manager) => {
        const qb = manager
          .getRepository(WebhookSubscriptionEntity)
          .createQueryBuilder('s')
          .select(['s.subscription_id', 's.secret', 's.previous_secret', 's.headers'])
          .where('s.subscription_id > :after', { after })
          .orderBy('s.subscription_id', 'ASC')
          .limit(REENCRYPT_BATCH);
        if (dialect.name !== 'sqlite') qb.setLock('pessimistic_write');
        const rows = await qb.getMany();
        let rewritten = 0;
        for (const row of rows) {
          if (isCurrent(row, cipher)) continue;
          const sealed = sealSubscriptionRow(openSubscriptionRow(row, cipher), cipher);
          const changes = { secret: sealed.secret, previous_secret: sealed.previous_secret, headers: sealed.headers };
          await manager.createQueryBuilder().update(WebhookSubscriptionEntity).set(changes).where('subscription_id = :id', { id: row.subscription_id }).execute();
          rewritten++;
        }
        return { rewritten, last: rows.length === REENCRYPT_BATCH ? rows[rows.length - 1].subscription_id : null };
      }),
    );
    total += page.rewritten;
    if (page.last === null) return total;
    after = page.last;
  }
}
