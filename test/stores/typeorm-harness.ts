import type { DataSource } from 'typeorm';
import {
  TypeOrmDeliveryStore,
  TypeOrmSubscriptionStore,
  WEBHOOK_ENTITIES,
  WebhookDataSourceRef,
} from '../../lib/stores/typeorm';
import { closeTestDataSource, createTestDataSource, type DatabaseKind, type TestDataSourceOptions } from '../support/databases';
import type { StoreHarness } from './store-contract';

/** A contract harness over TypeORM stores on a real database, plus the DataSource for extra checks. */
export interface TypeOrmHarness extends StoreHarness {
  dataSource: DataSource;
}

/**
 * Stores on `kind`, with a second DataSource (its own connections) behind `peer` on server databases so the
 * concurrency tests race real transactions.
 */
export async function typeOrmHarness(kind: DatabaseKind, options: TestDataSourceOptions): Promise<TypeOrmHarness> {
  const dataSource = await createTestDataSource(kind, options);
  const peerSource =
    kind === 'sqlite' ? undefined : await createTestDataSource(kind, { ...options, dropSchema: false, synchronize: false, migrationsRun: false });
  const ref = WebhookDataSourceRef.of(dataSource);
  const deliveries = new TypeOrmDeliveryStore(ref);
  return {
    dataSource,
    subscriptions: new TypeOrmSubscriptionStore(ref),
    deliveries,
    peer: peerSource ? new TypeOrmDeliveryStore(WebhookDataSourceRef.of(peerSource)) : deliveries,
    async reset() {
      for (const entity of WEBHOOK_ENTITIES) await dataSource.getRepository(entity).clear();
    },
    async close() {
      await closeTestDataSource(peerSource);
      await closeTestDataSource(dataSource);
    },
  };
}
