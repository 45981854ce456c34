import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { PortalRevocationStore } from '../../lib/domain/portal-revocations';
import { MemoryPortalRevocationStore } from '../../lib/stores/memory/memory-portal-revocations';
import { TypeOrmPortalRevocationStore, WebhookDataSourceRef } from '../../lib/stores/typeorm';
import { closeTestDataSource, createTestDataSource, describeIfDatabase, type DatabaseKind } from '../support/databases';

/** The same expectations of every backend: one cut-off per tenant, only ever moving forward. */
function revocationContract(make: () => PortalRevocationStore): void {
  it('has no cut-off for a tenant never revoked', async () => {
    expect(await make().cutoff('never')).toBeNull();
  });

  it('stores a cut-off per tenant, moves it forward and never back', async () => {
    const store = make();
    expect(await store.revoke('t1', 1_800_000_000_000)).toBe(1_800_000_000_000);
    expect(await store.cutoff('t1')).toBe(1_800_000_000_000);
    expect(await store.cutoff('t2')).toBeNull();
    expect(await store.revoke('t1', 1_800_000_000_005)).toBe(1_800_000_000_005);
    expect(await store.revoke('t1', 1_700_000_000_000)).toBe(1_800_000_000_005);
    expect(await store.cutoff('t1')).toBe(1_800_000_000_005);
  });

  it('keeps the latest of concurrent first revocations of a tenant', async () => {
    const [one, two] = [make(), make()];
    await Promise.all([one.revoke('race', 1_800_000_000_001), two.revoke('race', 1_800_000_000_009), one.revoke('race', 1_800_000_000_004)]);
    expect(await two.cutoff('race')).toBe(1_800_000_000_009);
  });
}

describe('portal revocations on the memory store', () => {
  const shared = new MemoryPortalRevocationStore();
  revocationContract(() => shared);
});

for (const [kind, label] of [['sqlite', 'SQLite'], ['postgres', 'PostgreSQL'], ['mariadb', 'MariaDB']] as Array<[DatabaseKind, string]>) {
  describeIfDatabase(kind, `portal revocations on ${label}`, () => {
    let ds: DataSource;
    beforeAll(async () => {
      ds = await createTestDataSource(kind, { namespace: `portal_revocations_${kind}` });
    });
    afterAll(async () => closeTestDataSource(ds));
    revocationContract(() => new TypeOrmPortalRevocationStore(WebhookDataSourceRef.of(ds)));
  });
}
