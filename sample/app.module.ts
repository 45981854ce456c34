import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { join } from 'node:path';
import { WebhookModule } from '../lib';
import { WEBHOOK_ENTITIES, WEBHOOK_MIGRATIONS } from '../lib/typeorm';
import { ApiKeyGuard } from './api-key.guard';

/** Where the sample keeps its data: an SQLite file, so a second run sees the first run's history. */
export const SAMPLE_DB = process.env.SAMPLE_DB ?? join(process.cwd(), 'sample-webhooks.sqlite');

@Module({
  imports: [
    // The app's own TypeORM connection; the webhook tables come from the package's migrations.
    TypeOrmModule.forRoot({
      type: 'better-sqlite3',
      database: SAMPLE_DB,
      entities: [...WEBHOOK_ENTITIES],
      migrations: [...WEBHOOK_MIGRATIONS],
      migrationsRun: true,
      synchronize: false,
    }),
    WebhookModule.forRoot({
      store_backend: 'typeorm',
      // The demo receiver runs on 127.0.0.1, which the SSRF guard refuses by default.
      allowed_hosts: ['127.0.0.1'],
      retry_max_attempts: 3,
      retry_base_delay: 0.2,
      retry_max_delay: 1,
      delivery_timeout_seconds: 5,
      enable_admin: true,
      admin_guards: [ApiKeyGuard],
      // The customer portal: session links from WebhookPortalService (see main.ts --serve).
      enable_portal: true,
      portal_secret: process.env.SAMPLE_PORTAL_SECRET ?? 'sample-portal-secret-change-me-0123456789',
      portal_theme: { title: 'Sample shop webhooks' },
    }),
  ],
})
export class AppModule {}
