import { describe, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { WEBHOOK_ENTITIES } from '../../lib/stores/typeorm';

/** The databases the store tests run against. */
export type DatabaseKind = 'sqlite' | 'postgres' | 'mariadb';

const SERVERS: Record<Exclude<DatabaseKind, 'sqlite'>, { label: string; host: string; port: number }> = {
  postgres: { label: 'PostgreSQL', host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432) },
  mariadb: { label: 'MariaDB', host: process.env.MYSQL_HOST ?? '127.0.0.1', port: Number(process.env.MYSQL_PORT ?? 3306) },
};

/** Options of {@link createTestDataSource}. */
export interface TestDataSourceOptions {
  /**
   * Isolates the test's tables: a PostgreSQL schema, a MariaDB database or a SQLite file of this name, created
   * when missing. Every test file should use its own.
   */
  namespace: string;
  /** Default: the webhook entities. */
  entities?: DataSourceOptions['entities'];
  migrations?: DataSourceOptions['migrations'];
  /** Default true: migrations run instead of synchronize when `migrations` is given. */
  migrationsRun?: boolean;
  /** Default: true unless `migrations` is given. */
  synchronize?: boolean;
  /** Default true: start from empty tables. */
  dropSchema?: boolean;
  /**
   * MariaDB only: the database's default collation, e.g. `utf8mb4_bin` for exact (case-sensitive) ids in
   * tables made by synchronize. Default: the server's.
   */
  mariadbCollation?: string;
  /** Pool size of the network drivers (default 10). */
  poolSize?: number;
}

/**
 * The schema, database or file name of a test namespace. `WEBHOOK_TEST_DB_SUFFIX` (letters, digits, `_`) is
 * appended when set, so that several checkouts can run their suites against the same servers at once.
 */
export function testNamespace(name: string): string {
  const suffix = process.env.WEBHOOK_TEST_DB_SUFFIX;
  if (!suffix) return name;
  if (!/^[A-Za-z0-9_]+$/.test(suffix)) throw new Error(`WEBHOOK_TEST_DB_SUFFIX must be letters, digits or _ (got ${JSON.stringify(suffix)})`);
  return `${name}_${suffix}`;
}

let pgUser: string | undefined;
/** Temporary directory of each SQLite DataSource made here. */
const sqliteDirs = new Map<DataSource, string>();

/**
 * A DataSource on a real database, initialized. PostgreSQL: 127.0.0.1:5432 database `test`, trust auth, user
 * `postgres` (or `root`); MariaDB: 127.0.0.1:3306 user root with an empty password, `timezone: 'Z'`; SQLite:
 * a file in a temporary directory. `PGHOST`/`PGPORT`/`PGUSER`/`PGDATABASE` and `MYSQL_HOST`/`MYSQL_PORT`/
 * `MYSQL_USER`/`MYSQL_PASSWORD` override the defaults.
 */
export async function createTestDataSource(kind: DatabaseKind, options: TestDataSourceOptions): Promise<DataSource> {
  const namespace = testNamespace(options.namespace);
  const migrations = options.migrations;
  const common = {
    entities: options.entities ?? WEBHOOK_ENTITIES,
    migrations: migrations ?? [],
    migrationsRun: options.migrationsRun ?? migrations !== undefined,
    synchronize: options.synchronize ?? migrations === undefined,
    dropSchema: options.dropSchema ?? true,
    logging: false as const,
  };
  let ds: DataSource;
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'webhook-store-'));
    ds = new DataSource({ type: 'better-sqlite3', database: join(dir, `${namespace}.sqlite`), ...common });
    sqliteDirs.set(ds, dir);
  } else if (kind === 'postgres') {
    const user = await postgresUser();
    await postgresAdmin(user, `CREATE SCHEMA IF NOT EXISTS "${namespace}"`);
    ds = new DataSource({
      type: 'postgres',
      host: SERVERS.postgres.host,
      port: SERVERS.postgres.port,
      username: user,
      database: process.env.PGDATABASE ?? 'test',
      schema: namespace,
      poolSize: options.poolSize ?? 10,
      ...common,
    });
  } else {
    await mariadbAdmin(`CREATE DATABASE IF NOT EXISTS \`${namespace}\``);
    const collation = options.mariadbCollation ?? (await mariadbServerCollation());
    await mariadbAdmin(`ALTER DATABASE \`${namespace}\` CHARACTER SET utf8mb4 COLLATE ${collation}`);
    ds = new DataSource({
      type: 'mariadb',
      host: SERVERS.mariadb.host,
      port: SERVERS.mariadb.port,
      username: process.env.MYSQL_USER ?? 'root',
      password: process.env.MYSQL_PASSWORD ?? '',
      database: namespace,
      // UTC on the wire, so DATETIME columns hold UTC whatever the process time zone
      timezone: 'Z',
      poolSize: options.poolSize ?? 10,
      ...common,
    });
  }
  try {
    await ds.initialize();
  } catch (error) {
    await closeTestDataSource(ds);
    throw error;
  }
  return ds;
}

/** Closes a DataSource made by {@link createTestDataSource} and deletes its SQLite file, if any. */
export async function closeTestDataSource(ds: DataSource | undefined): Promise<void> {
  if (!ds) return;
  if (ds.isInitialized) await ds.destroy();
  const dir = sqliteDirs.get(ds);
  if (dir) rmSync(dir, { recursive: true, force: true });
  sqliteDirs.delete(ds);
}

/** Deletes the SQLite files of the DataSources already destroyed (for tests that destroy them themselves). */
export function removeSqliteFiles(): void {
  for (const [ds, dir] of sqliteDirs) {
    if (ds.isInitialized) continue;
    rmSync(dir, { recursive: true, force: true });
    sqliteDirs.delete(ds);
  }
}

/**
 * `describe(name, fn)` when the database is reachable. When it is not: on CI (`CI=true`) the suite fails with a
 * message saying so; elsewhere it is skipped with a console message. SQLite is always available.
 */
export function describeIfDatabase(kind: DatabaseKind, name: string, fn: () => void): void {
  if (kind === 'sqlite' || isReachable(kind)) {
    describe(name, fn);
    return;
  }
  const { label, host, port } = SERVERS[kind];
  const message = `${label} not reachable at ${host}:${port}`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${label}`, () => {
        throw new Error(`${message}: CI=true, so this suite fails instead of being skipped. Start ${label} (see STACK.md).`);
      });
    });
    return;
  }
  console.warn(`${message}: skipping "${name}" (start ${label} to run it; on CI this fails).`);
  describe.skip(name, fn);
}

const reachability = new Map<DatabaseKind, boolean>();

/** Whether a TCP connection to the server opens within 2 s; checked once per process (synchronously). */
function isReachable(kind: Exclude<DatabaseKind, 'sqlite'>): boolean {
  let known = reachability.get(kind);
  if (known === undefined) {
    const { host, port } = SERVERS[kind];
    const probe =
      `const s=require('node:net').connect(${port},${JSON.stringify(host)});` +
      `s.setTimeout(2000,()=>process.exit(1));s.on('connect',()=>process.exit(0));s.on('error',()=>process.exit(1));`;
    known = spawnSync(process.execPath, ['-e', probe], { timeout: 5000 }).status === 0;
    reachability.set(kind, known);
  }
  return known;
}

async function postgresUser(): Promise<string> {
  if (pgUser) return pgUser;
  const candidates = process.env.PGUSER ? [process.env.PGUSER] : ['postgres', 'root'];
  let lastError: unknown;
  for (const user of candidates) {
    try {
      await postgresAdmin(user, 'SELECT 1');
      pgUser = user;
      return user;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`cannot log in to PostgreSQL as ${candidates.join(' or ')}: ${String(lastError)}`);
}

async function postgresAdmin(user: string, sql: string): Promise<unknown> {
  return adminQuery(
    new DataSource({ type: 'postgres', host: SERVERS.postgres.host, port: SERVERS.postgres.port, username: user, database: process.env.PGDATABASE ?? 'test', poolSize: 1 }),
    sql,
  );
}

async function mariadbServerCollation(): Promise<string> {
  const rows = await mariadbAdmin('SELECT @@collation_server AS c');
  const collation = String((rows as Array<{ c: string }>)[0].c);
  // the server default may belong to another character set
  return collation.startsWith('utf8mb4_') ? collation : 'utf8mb4_general_ci';
}

async function mariadbAdmin(sql: string): Promise<unknown> {
  return adminQuery(
    new DataSource({
      type: 'mariadb',
      host: SERVERS.mariadb.host,
      port: SERVERS.mariadb.port,
      username: process.env.MYSQL_USER ?? 'root',
      password: process.env.MYSQL_PASSWORD ?? '',
      poolSize: 1,
    }),
    sql,
  );
}

/** Runs one statement on a short-lived connection without entities. */
async function adminQuery(ds: DataSource, sql: string): Promise<unknown> {
  await ds.initialize();
  try {
    return await ds.query(sql);
  } finally {
    await ds.destroy();
  }
}
