import { describe, expect, it } from '@jest/globals';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Test } from '@nestjs/testing';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { WebhookModule } from '../../lib';
import { WEBHOOK_ENTITIES } from '../../lib/typeorm';
import { FAST } from '../support/app';
import { closeTestDataSource, createTestDataSource, describeIfDatabase, testNamespace, type DatabaseKind } from '../support/databases';
import { OrderEntity } from './order.entity';

const run = promisify(execFile);

/**
 * @nestjs-cls/transactional with its TypeORM adapter: inside a `@Transactional()` method, `dispatch(event)` joins
 * the transaction by itself (`transaction_host`). The app runs in its own Node process on the built package
 * (cls-app.cjs): the nestjs-cls packages are CommonJS requiring the ESM-only NestJS 12, which Node loads but
 * Jest's module runtime cannot.
 */
function suite(kind: DatabaseKind): void {
  it('a @Transactional() method that saves, dispatches, then throws sends and keeps nothing; one that commits stores both and delivers', async () => {
    if (!existsSync(join(process.cwd(), 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does it in pretest)');
    const ds = await createTestDataSource(kind, { namespace: 'webhook_cls', entities: [...WEBHOOK_ENTITIES, OrderEntity] });
    const env: Record<string, string> = { ...process.env, DB_KIND: kind } as Record<string, string>;
    if (kind === 'sqlite') env.SQLITE_FILE = ds.options.database as string;
    else Object.assign(env, { PG_SCHEMA: testNamespace('webhook_cls'), PG_USER: (ds.options as { username: string }).username });
    await ds.destroy();
    try {
      const { stdout } = await run(process.execPath, [join(process.cwd(), 'test/transactions/cls-app.cjs')], { env, timeout: 60_000 });
      const out = JSON.parse(stdout.trim().split('\n').pop()!);
      expect(out.crashed).toBeUndefined();
      expect(out.declined).toEqual({ error: 'payment declined', sent: 0, orders: 0, events: 0 });
      expect(out.paid).toMatchObject({ sent: 1, orders: 1, events: 1 });
      expect(out.outside).toEqual({ sent: 1 });
    } finally {
      await closeTestDataSource(ds);
    }
  }, 90_000);
}

describe('@nestjs-cls/transactional: SQLite', () => suite('sqlite'));
describeIfDatabase('postgres', '@nestjs-cls/transactional: PostgreSQL', () => suite('postgres'));

describe('transaction_host misconfigured', () => {
  it('without store_backend typeorm, or not among the providers, stops the app at start-up naming the key', async () => {
    await expect(Test.createTestingModule({ imports: [WebhookModule.forRoot({ transaction_host: 'TransactionHost' })] }).compile()).rejects.toThrow(/transaction_host.*store_backend 'typeorm'/);
    const ds = await createTestDataSource('sqlite', { namespace: 'webhook_cls_missing' });
    try {
      const module = await Test.createTestingModule({
        imports: [WebhookModule.forRoot({ ...FAST, store_backend: 'typeorm', transaction_host: 'TransactionHost' })],
        providers: [{ provide: getDataSourceToken(), useValue: ds }],
      }).compile();
      await expect(module.init()).rejects.toThrow(/transaction_host.*ClsPluginTransactional/);
      await module.close();
    } finally {
      await closeTestDataSource(ds);
    }
  });
});
