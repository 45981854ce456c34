import type { ColumnOptions, ValueTransformer } from 'typeorm';

/**
 * Column shapes shared by the webhook entities, chosen to work unchanged on PostgreSQL, MySQL/MariaDB and
 * SQLite (better-sqlite3). TypeORM 1.x has no per-driver column types, hence these portable choices.
 */

/** Length of id columns (event ids come from the application, so they get room). */
export const ID_LENGTH = 255;

/** A string id or short name. */
export function varcharColumn(length: number, extra: ColumnOptions = {}): ColumnOptions {
  return { type: 'varchar', length, ...extra };
}

/**
 * A point in time with millisecond precision: `timestamp(3)` on PostgreSQL (written and read by node-postgres
 * in the process time zone: run with TZ=UTC), `datetime(3)` on MySQL/MariaDB (set the connection's
 * `timezone: 'Z'`), `datetime` text in UTC on SQLite.
 */
export function dateColumn(extra: ColumnOptions = {}): ColumnOptions {
  return { type: Date, precision: 3, ...extra };
}

/**
 * The event body is kept byte-for-byte inside a JSON document `{"text": "<body>"}`: `json` is the one
 * portable type that is large on every driver (PostgreSQL json, MariaDB LONGTEXT, SQLite TEXT; MySQL's TEXT
 * stops at 64 KiB), and wrapping the string keeps it exact even where the driver re-parses JSON values.
 */
export const bodyTransformer: ValueTransformer = {
  to: (value: string | null | undefined) => (value === null || value === undefined ? value : { text: value }),
  from: (value: unknown) => {
    if (value === null || value === undefined) return value;
    if (typeof value === 'string') {
      // a driver that handed back the raw document
      try {
        return (JSON.parse(value) as { text: string }).text;
      } catch {
        return value;
      }
    }
    return (value as { text: string }).text;
  },
};
