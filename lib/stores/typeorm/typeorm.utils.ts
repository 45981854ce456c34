import type { DataSource, Driver, EntityTarget, ObjectLiteral } from 'typeorm';

/** Rows per multi-row INSERT and ids per `IN (...)` list: well under every driver's parameter limit. */
export const SQL_CHUNK = 1000;

/** `items` in slices of at most `size`. */
export function chunks<T>(items: readonly T[], size = SQL_CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Escapes `%`, `_` and the escape character `!` for `LIKE ... ESCAPE '!'`. */
export function escapeLike(text: string): string {
  return text.replace(/[!%_]/g, '!$&');
}

/** The entity's table as SQL, schema-qualified and quoted for the DataSource's dialect. */
export function quotedTable(dataSource: DataSource, entity: EntityTarget<ObjectLiteral>): string {
  return dataSource
    .getMetadata(entity)
    .tablePath.split('.')
    .map((part) => dataSource.driver.escape(part))
    .join('.');
}

/** A date column as the driver sees it: enough for its write and read conversions. */
const DATE_COLUMN = { type: Date } as unknown as Parameters<Driver['preparePersistentValue']>[1];

/**
 * Dates in hand-written SQL: `write` gives the driver's form of a date column value (SQLite: UTC text), `read` turns
 * a raw result value back into a Date (null stays null).
 */
export function dateCodec(driver: Driver): { write(d: Date | null | undefined): unknown; read(v: unknown): Date | null } {
  return {
    write: (d) => (d ? driver.preparePersistentValue(d, DATE_COLUMN) : null),
    read: (v) => (v === null || v === undefined ? null : (driver.prepareHydratedValue(v, DATE_COLUMN) as Date)),
  };
}
