import type { ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { InvalidWebhookConfigError } from '../../domain/webhook.error';
import { guardPostgresPool } from './dialects/postgres/pool-guard';

/**
 * The host app's TypeORM DataSource, looked up when first needed: with `forRootAsync` the DataSource name is
 * only known once the options are resolved, and TypeORM connects asynchronously, so the stores hold this
 * reference instead of the DataSource itself. The module never opens a connection of its own.
 */
export class WebhookDataSourceRef {
  private dataSource: DataSource | undefined;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly name: string | undefined,
  ) {}

  get(): DataSource {
    if (this.dataSource) return this.dataSource;
    let found: DataSource | undefined;
    try {
      found = this.moduleRef.get<DataSource>(getDataSourceToken(this.name) as any, { strict: false });
    } catch {
      found = undefined;
    }
    if (!found) {
      throw new InvalidWebhookConfigError(
        'store_backend',
        `'typeorm' needs the host app's TypeORM connection${this.name ? ` named "${this.name}"` : ''}: import TypeOrmModule.forRoot(...) in your AppModule` +
          (this.name ? ' with that name' : ' (or set typeorm_data_source to the name of yours)'),
      );
    }
    this.dataSource = guardPostgresPool(found);
    return found;
  }

  /** A DataSource given directly (tests, scripts). */
  static of(dataSource: DataSource): WebhookDataSourceRef {
    const ref = new WebhookDataSourceRef(undefined as unknown as ModuleRef, undefined);
    ref.dataSource = guardPostgresPool(dataSource);
    return ref;
  }
}
