import type { EntityManager } from 'typeorm';
import type { NewDelivery } from '../../domain/stores';
import type { StoredEvent } from '../../domain/types';
import { chunks, type SqlDialect } from './typeorm.utils';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';

/** Rows per statement: PostgreSQL and SQLite send two arrays (or one JSON text), MySQL a multi-row VALUES list. */
const ROWS_PER_STATEMENT: Record<SqlDialect, number> = { postgres: 5000, sqlite: 5000, mysql: 1000 };

/**
 * Inserts the new pending deliveries of one event with as few statements as the dialect allows: a fan-out to
 * 10,000 subscriptions is two statements on PostgreSQL (`unnest` of two arrays) and SQLite (`json_each`), and
 * ten multi-row INSERTs on MySQL/MariaDB. TypeORM's `insert().values([...])` spends most of its time building
 * and binding 12 parameters per row, which made such a fan-out take seconds.
 */
export async function insertNewDeliveries(manager: EntityManager, dialect: SqlDialect, event: StoredEvent, deliveries: NewDelivery[]): Promise<void> {
  if (deliveries.length === 0) return;
  const driver = manager.connection.driver;
  const meta = manager.connection.getMetadata(WebhookDeliveryEntity);
  const table = meta.tablePath
    .split('.')
    .map((part) => driver.escape(part))
    .join('.');
  const col = (name: keyof WebhookDeliveryEntity) => driver.escape(meta.findColumnWithPropertyName(name)!.databaseName);
  const at = driver.preparePersistentValue(event.created_at, meta.findColumnWithPropertyName('next_attempt_at')!);
  const columns = [
    'delivery_id',
    'subscription_id',
    'event_id',
    'event_type',
    'status',
    'attempts',
    'next_attempt_at',
    'created_at',
    'updated_at',
  ] as const;
  const into = `INSERT INTO ${table} (${columns.map(col).join(', ')})`;

  for (const part of chunks(deliveries, ROWS_PER_STATEMENT[dialect])) {
    if (dialect === 'postgres') {
      await manager.query(
        `${into} SELECT d.id, d.sub, $3, $4, 'pending', 0, $5, $5, $5 FROM unnest($1::varchar[], $2::varchar[]) AS d(id, sub)`,
        [part.map((d) => d.delivery_id), part.map((d) => d.subscription_id), event.event_id, event.event_type, at],
      );
    } else if (dialect === 'sqlite') {
      await manager.query(
        `${into} SELECT json_extract(d.value, '$[0]'), json_extract(d.value, '$[1]'), ?, ?, 'pending', 0, ?, ?, ? FROM json_each(?) AS d ORDER BY d.key`,
        [event.event_id, event.event_type, at, at, at, JSON.stringify(part.map((d) => [d.delivery_id, d.subscription_id]))],
      );
    } else {
      const params: unknown[] = [];
      for (const d of part) params.push(d.delivery_id, d.subscription_id, event.event_id, event.event_type, at, at, at);
      await manager.query(`${into} VALUES ${part.map(() => "(?, ?, ?, ?, 'pending', 0, ?, ?, ?)").join(', ')}`, params);
    }
  }
}
