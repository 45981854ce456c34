import type { EntityManager } from 'typeorm';
import type { NewDelivery } from '../../domain/stores';
import type { StoredEvent } from '../../domain/types';
import { chunks, quotedTable, type SqlDialect } from './typeorm.utils';
import { WebhookDeliveryEntity } from './webhook-delivery.entity';

/** Rows per statement: PostgreSQL and SQLite send two arrays (or one JSON text), MySQL a multi-row VALUES list. */
const ROWS_PER_STATEMENT: Record<SqlDialect, number> = { postgres: 5000, sqlite: 5000, mysql: 1000 };

/** One new pending delivery row: due at `at`. */
export interface NewDeliveryRow {
  delivery_id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  at: Date;
  locked_by: string | null;
  locked_until: Date | null;
}

/** The rows of one event's deliveries, all due when the event was accepted. */
export function deliveryRows(event: StoredEvent, deliveries: readonly NewDelivery[]): NewDeliveryRow[] {
  return deliveries.map((d) => ({
    delivery_id: d.delivery_id,
    subscription_id: d.subscription_id,
    event_id: event.event_id,
    event_type: event.event_type,
    at: event.created_at,
    locked_by: d.lease?.worker_id ?? null,
    locked_until: d.lease?.until ?? null,
  }));
}

/**
 * Inserts new pending deliveries with as few statements as the dialect allows: a fan-out to 10,000
 * subscriptions is two statements on PostgreSQL (`unnest` of arrays) and SQLite (`json_each`), and ten multi-row
 * INSERTs on MySQL/MariaDB. TypeORM's `insert().values([...])` spends most of its time building and binding 12
 * parameters per row, which made such a fan-out take seconds.
 */
export async function insertNewDeliveries(manager: EntityManager, dialect: SqlDialect, rows: readonly NewDeliveryRow[]): Promise<void> {
  if (rows.length === 0) return;
  const driver = manager.connection.driver;
  const meta = manager.connection.getMetadata(WebhookDeliveryEntity);
  const table = quotedTable(manager.connection, WebhookDeliveryEntity);
  const col = (name: keyof WebhookDeliveryEntity) => driver.escape(meta.findColumnWithPropertyName(name)!.databaseName);
  const dateColumn = meta.findColumnWithPropertyName('next_attempt_at')!;
  const at = (d: Date | null) => (d ? driver.preparePersistentValue(d, dateColumn) : null);
  const columns = ['delivery_id', 'subscription_id', 'event_id', 'event_type', 'status', 'attempts', 'next_attempt_at', 'created_at', 'updated_at', 'locked_by', 'locked_until'] as const;
  const into = `INSERT INTO ${table} (${columns.map(col).join(', ')})`;

  for (const part of chunks(rows, ROWS_PER_STATEMENT[dialect])) {
    if (dialect === 'postgres') {
      await manager.query(
        `${into} SELECT d.id, d.sub, d.evt, d.typ, 'pending', 0, d.at, d.at, d.at, d.lby, d.luntil ` +
          `FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::timestamp(3)[], $6::varchar[], $7::timestamp(3)[]) AS d(id, sub, evt, typ, at, lby, luntil)`,
        [
          part.map((d) => d.delivery_id),
          part.map((d) => d.subscription_id),
          part.map((d) => d.event_id),
          part.map((d) => d.event_type),
          part.map((d) => at(d.at)),
          part.map((d) => d.locked_by),
          part.map((d) => at(d.locked_until)),
        ],
      );
    } else if (dialect === 'sqlite') {
      await manager.query(
        `${into} SELECT json_extract(d.value, '$[0]'), json_extract(d.value, '$[1]'), json_extract(d.value, '$[2]'), json_extract(d.value, '$[3]'), 'pending', 0, ` +
          `json_extract(d.value, '$[4]'), json_extract(d.value, '$[4]'), json_extract(d.value, '$[4]'), json_extract(d.value, '$[5]'), json_extract(d.value, '$[6]') ` +
          `FROM json_each(?) AS d ORDER BY d.key`,
        [JSON.stringify(part.map((d) => [d.delivery_id, d.subscription_id, d.event_id, d.event_type, at(d.at), d.locked_by, at(d.locked_until)]))],
      );
    } else {
      const params: unknown[] = [];
      for (const d of part) {
        const t = at(d.at);
        params.push(d.delivery_id, d.subscription_id, d.event_id, d.event_type, t, t, t, d.locked_by, at(d.locked_until));
      }
      await manager.query(`${into} VALUES ${part.map(() => "(?, ?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)").join(', ')}`, params);
    }
  }
}
