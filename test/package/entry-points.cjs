// Requires the packed package's three entry points as a CommonJS app does, and prints what it got as one JSON line.
require('reflect-metadata');
const root = require('nestjs-webhooks');
const typeorm = require('nestjs-webhooks/typeorm');
const testing = require('nestjs-webhooks/testing');
const { describeEntryPoints } = require('./entry-points-report.cjs');

const names = ['WebhookModule', 'MemoryReplayStore', 'verifyWebhook'];
const typeormNames = ['TypeOrmReplayStore', 'WEBHOOK_ENTITIES', 'WEBHOOK_MIGRATIONS', 'WEBHOOK_RECEIVER_ENTITIES', 'WEBHOOK_RECEIVER_MIGRATIONS'];
const testingNames = ['checkReplayStore', 'signedWebhookHeaders', 'WebhookTestReceiver'];
const named = Object.fromEntries([...names.map((n) => [n, root[n]]), ...typeormNames.map((n) => [n, typeorm[n]]), ...testingNames.map((n) => [n, testing[n]])]);

describeEntryPoints({ root, typeorm, testing, named }).then((report) => console.log(JSON.stringify(report)));
