// Imports the packed package's three entry points as an ES module app does (static named imports, which fail at
// link time when Node cannot see a name in the CommonJS build), and prints what it got as one JSON line.
import 'reflect-metadata';
import * as root from 'nestjs-webhooks';
import { MemoryReplayStore, verifyWebhook, WebhookModule } from 'nestjs-webhooks';
import { TypeOrmReplayStore, WEBHOOK_ENTITIES, WEBHOOK_MIGRATIONS, WEBHOOK_RECEIVER_ENTITIES, WEBHOOK_RECEIVER_MIGRATIONS } from 'nestjs-webhooks/typeorm';
import * as typeorm from 'nestjs-webhooks/typeorm';
import * as testing from 'nestjs-webhooks/testing';
import { checkReplayStore, signedWebhookHeaders, WebhookTestReceiver } from 'nestjs-webhooks/testing';
import { describeEntryPoints } from './entry-points-report.cjs';

const report = await describeEntryPoints({
  root,
  typeorm,
  testing,
  named: { WebhookModule, MemoryReplayStore, verifyWebhook, TypeOrmReplayStore, WEBHOOK_ENTITIES, WEBHOOK_MIGRATIONS, WEBHOOK_RECEIVER_ENTITIES, WEBHOOK_RECEIVER_MIGRATIONS, checkReplayStore, signedWebhookHeaders, WebhookTestReceiver },
});
console.log(JSON.stringify(report));
