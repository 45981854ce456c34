import type { DataSource } from 'typeorm';
import type { WebhookDataSourceRef } from './data-source.ref';
import { queueDialectOf, type QueueDialect } from './dialects';

/**
 * What the TypeORM stores share: the host app's DataSource, looked up when first needed, and its database's
 * {@link QueueDialect}, picked once.
 */
export class TypeOrmStoreContext {
  private picked: QueueDialect | undefined;

  constructor(private readonly ref: WebhookDataSourceRef) {}

  /** The dialect of the DataSource's database. */
  get dialect(): QueueDialect {
    return (this.picked ??= queueDialectOf(this.ref.get()));
  }

  /** Runs one store operation as its dialect runs operations (on SQLite: one at a time per DataSource). */
  run<T>(fn: (ds: DataSource, dialect: QueueDialect) => Promise<T>): Promise<T> {
    const dialect = this.dialect;
    return dialect.run(() => fn(dialect.dataSource, dialect));
  }
}
