/**
 * What each database's driver reports for the failures the stores handle, in one table: node-postgres gives
 * SQLSTATE `code`s, mysql2 (MySQL/MariaDB) numeric `errno`s (and `code` names), better-sqlite3 `code` names.
 * TypeORM wraps them in a `QueryFailedError` whose `driverError` is the driver's own error.
 */
const DRIVER_CODES = {
  /** A primary-key or unique constraint refused the row. */
  uniqueViolation: {
    postgres: { codes: ['23505'] },
    mysql: { codes: ['ER_DUP_ENTRY'], errnos: [1062] },
    sqlite: { codes: ['SQLITE_CONSTRAINT_PRIMARYKEY', 'SQLITE_CONSTRAINT_UNIQUE'] },
  },
  /** Concurrency alone failed the transaction (deadlock, serialization, lock wait timeout, busy): a retry may succeed. */
  transientConflict: {
    postgres: { codes: ['40P01', '40001'] },
    mysql: { errnos: [1213, 1205] },
    sqlite: { codes: ['SQLITE_BUSY'] },
  },
} satisfies Record<string, Record<'postgres' | 'mysql' | 'sqlite', { codes?: readonly string[]; errnos?: readonly number[] }>>;

/** Whether a query failed on a primary-key or unique constraint (any supported database). */
export function isUniqueViolation(error: unknown): boolean {
  return matches(error, DRIVER_CODES.uniqueViolation);
}

/** Whether a transaction failed only because of concurrency (deadlock, serialization), so a retry may succeed. */
export function isTransientConflict(error: unknown): boolean {
  return matches(error, DRIVER_CODES.transientConflict);
}

/** Runs `fn` again (up to `attempts` times in all) when it fails with a transient conflict. */
export async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (error) {
      if (i >= attempts || !isTransientConflict(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * i + Math.random() * 10));
    }
  }
}

function matches(error: unknown, kinds: Record<string, { codes?: readonly string[]; errnos?: readonly number[] }>): boolean {
  const e = driverError(error);
  return Object.values(kinds).some((k) => (k.codes?.includes(e.code as string) ?? false) || (k.errnos?.includes(e.errno as number) ?? false));
}

function driverError(error: unknown): { code?: unknown; errno?: unknown } {
  if (!error || typeof error !== 'object') return {};
  const inner = (error as { driverError?: unknown }).driverError;
  return (inner && typeof inner === 'object' ? inner : error) as { code?: unknown; errno?: unknown };
}
