import type { ModuleRef } from '@nestjs/core';
import type { StoreBackend, StoreCapabilities } from '../../domain/store-backend';
import type { StoreSignals } from '../../domain/stores';
import { SecretCipher } from '../../security/secret-cipher';
import { WebhookDataSourceRef } from './data-source.ref';
import { TypeOrmDeliveryStore } from './typeorm-delivery.store';
import { TypeOrmPortalRevocationStore } from './typeorm-portal-revocation.store';
import { TypeOrmSignals } from './typeorm-signals';
import { TypeOrmSubscriptionStore } from './typeorm-subscription.store';

/**
 * A database shares one transaction among concurrent writes (group commit), is shared by every replica (so each
 * process keeps its own snapshot of the subscription index), and signals commits (PostgreSQL also between replicas).
 */
export const TYPEORM_STORE_CAPABILITIES: StoreCapabilities = { groupCommit: true, localSubscriptionIndex: false };

/** The stores of `store_backend: 'typeorm'`, and the DataSource reference they share. */
export interface TypeOrmStores extends StoreBackend {
  dataSource: WebhookDataSourceRef;
  /** Post-commit wake-ups, and PostgreSQL LISTEN/NOTIFY between replicas. */
  signals: StoreSignals;
}

/**
 * The TypeORM backend's entry point. The module loads this file with a dynamic `import()` only when
 * `store_backend` is `'typeorm'`, so `typeorm` and `@nestjs/typeorm` stay optional: an app on the memory
 * backend never loads them. `dataSourceName` picks one of the host app's named TypeORM connections (default:
 * the default one); it is looked up on first use. `cipher` encrypts subscription secrets and header values at
 * rest (`secret_encryption_keys`; default none).
 */
export function createTypeOrmStores(moduleRef: ModuleRef, dataSourceName: string | undefined, cipher: SecretCipher = new SecretCipher([])): TypeOrmStores {
  const dataSource = new WebhookDataSourceRef(moduleRef, dataSourceName);
  const signals = new TypeOrmSignals(dataSource);
  return {
    subscriptions: new TypeOrmSubscriptionStore(dataSource, cipher),
    deliveries: new TypeOrmDeliveryStore(dataSource, signals),
    dataSource,
    signals,
    capabilities: TYPEORM_STORE_CAPABILITIES,
    portalRevocations: new TypeOrmPortalRevocationStore(dataSource),
  };
}
