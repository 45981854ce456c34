import type { DataSource, EntityTarget, ObjectLiteral } from 'typeorm';
import { dateCodec, quotedTable } from '../typeorm.utils';
import type { QueryExecutor } from './queue-dialect';

/**
 * One SQL statement with its parameters, built side by side in one function (as graphile-worker's `src/sql/*.ts`
 * keep `text` beside `values`): `values[i]` is placeholder `$<i+1>` on PostgreSQL, the `i`-th `?` on MySQL/MariaDB
 * and SQLite. Placeholders are numbered in the order they first appear in `text`.
 */
export interface SqlStatement {
  readonly text: string;
  readonly values: unknown[];
}

/** Runs `statement` on `db` (a DataSource, or an EntityManager inside a transaction). */
export function runStatement<T>(db: QueryExecutor, statement: SqlStatement): Promise<T> {
  return db.query<T>(statement.text, statement.values);
}

/** The quoted names of a DataSource's webhook tables, for writing a statement's text. */
export interface SqlNames {
  /** The entity's table, schema-qualified and quoted. */
  table(entity: EntityTarget<ObjectLiteral>): string;
  /** Quotes the database column of an entity property. */
  columns<T extends ObjectLiteral>(entity: EntityTarget<T>): (property: keyof T & string) => string;
}

const texts = new WeakMap<DataSource, Map<string, string>>();

/**
 * The text of the statement `key` for `ds`'s table and column names: built by `build` on first use (entity
 * metadata is ready then) and kept per DataSource, so the hot path only looks it up. `key` names one text: a
 * statement whose text varies with its input puts that input in the key.
 */
export function textFor(ds: DataSource, key: string, build: (names: SqlNames) => string): string {
  let known = texts.get(ds);
  if (!known) texts.set(ds, (known = new Map()));
  let text = known.get(key);
  if (text === undefined) known.set(key, (text = build(namesOf(ds))));
  return text;
}

function namesOf(ds: DataSource): SqlNames {
  return {
    table: (entity) => quotedTable(ds, entity),
    columns: (entity) => {
      const meta = ds.getMetadata(entity);
      return (property) => ds.driver.escape(meta.findColumnWithPropertyName(property)!.databaseName);
    },
  };
}

const dateWriters = new WeakMap<DataSource, (d: Date | null) => unknown>();

/**
 * A Date as the driver writes a `timestamp(3)` / `datetime(3)` column of the queue (null stays null): the `write`
 * of {@link dateCodec}, the one date rule of the hand-written SQL, made once per DataSource.
 */
export function dateParam(ds: DataSource): (d: Date | null) => unknown {
  let write = dateWriters.get(ds);
  if (!write) dateWriters.set(ds, (write = dateCodec(ds.driver).write));
  return write;
}
