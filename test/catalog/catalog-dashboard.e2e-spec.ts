import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { verifyWebhook, WebhookModule } from '../../lib';
import { ADMIN_TOKEN, FAST_RETRY_OPTIONS, startApp, TestAdminGuard, type AdminTestApp } from '../admin/admin-test-app';
import { ok, TestReceiver, waitFor } from '../support/receiver';
import { catalogEntries, INVOICE_PAID_EXAMPLE } from './catalog-fixtures';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOT = join(process.cwd(), 'test', 'artifacts', 'dashboard-catalog.png');
const available = existsSync(CHROMIUM);
if (!available && process.env.CI === 'true') throw new Error(`${CHROMIUM} is missing: the dashboard end-to-end test needs Debian's chromium package`);
const describeIfChromium = available ? describe : describe.skip;

describeIfChromium('dashboard: event catalog section in headless Chromium', () => {
  let receiver: TestReceiver;
  let browser: Browser;
  const apps: AdminTestApp[] = [];
  const browserErrors: string[] = [];

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    receiver.on('/hook', ok(200));
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  });

  afterAll(async () => {
    await browser?.close();
    for (const t of apps) await t.app.close();
    await receiver?.close();
  });

  async function open(t: AdminTestApp): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1360, height: 1000 } });
    const page = await context.newPage();
    await page.setExtraHTTPHeaders({ 'x-admin-token': ADMIN_TOKEN });
    page.on('pageerror', (err) => browserErrors.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') browserErrors.push(`console: ${msg.text()}`);
    });
    const port = (t.app.getHttpServer().address() as AddressInfo).port;
    const res = await page.goto(`http://127.0.0.1:${port}/webhooks/ui`);
    expect(res?.status()).toBe(200);
    return page;
  }

  it('shows each type with its schema and example, and sends the example to a chosen subscription', async () => {
    const t = await startApp(WebhookModule.forRoot({ enable_admin: true, ...FAST_RETRY_OPTIONS, admin_guards: [TestAdminGuard], event_catalog: catalogEntries() }), {}, true);
    apps.push(t);
    const sub = await t.subscriptions.create({ url: receiver.url('/hook'), event_types: ['invoice.*'] });
    const page = await open(t);

    const invoice = page.locator('#catalog-list [data-event-type="invoice.paid"]');
    await invoice.waitFor();
    expect(await page.locator('#catalog-section').isVisible()).toBe(true);
    expect(await page.locator('#catalog-count').textContent()).toBe('(2)');
    expect(await invoice.locator('.catalog-desc').textContent()).toBe('An invoice was paid in full.');
    expect(JSON.parse((await invoice.locator('pre.catalog-example').textContent()) ?? '')).toEqual(INVOICE_PAID_EXAMPLE);
    const schema = JSON.parse((await invoice.locator('pre.catalog-schema').textContent()) ?? '');
    expect(schema.properties.customer).toMatchObject({ $ref: '#/definitions/CustomerDto' });
    // customer.updated is received by no subscription: said so, no button.
    const customer = page.locator('#catalog-list [data-event-type="customer.updated"]');
    expect(await customer.textContent()).toContain('No subscription receives this type.');
    expect(await customer.locator('button.catalog-send').count()).toBe(0);

    // The subscription is offered; sending shows the finished attempt, and the receiver got the example, signed.
    expect(await invoice.locator('select.catalog-sub option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))).toEqual([sub.subscription_id]);
    await invoice.locator('button.catalog-send').click();
    await page.waitForFunction(() => (globalThis as unknown as { document: { querySelector(s: string): { textContent: string | null } | null } }).document.querySelector('[data-event-type="invoice.paid"] .catalog-result')?.textContent?.startsWith('delivered') === true);
    expect(await invoice.locator('.catalog-result').textContent()).toMatch(/^delivered \(200\), \d+ ms$/);
    const got = await waitFor(() => receiver.received('/hook').find((r) => JSON.parse(r.body).event_type === 'invoice.paid'), 'the example');
    expect(JSON.parse(got.body).payload).toEqual(INVOICE_PAID_EXAMPLE);
    expect(verifyWebhook(got.body, got.headers, sub.secret)).toBe(true);
    // The main dashboard was refreshed and lists the test attempt.
    await page.locator('#attempts-body tr[data-status="delivered"]').first().waitFor();

    mkdirSync(join(process.cwd(), 'test', 'artifacts'), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(browserErrors).toEqual([]);
    await page.context().close();
  });

  it('keeps the section hidden without a catalog', async () => {
    const t = await startApp(WebhookModule.forRoot({ enable_admin: true, ...FAST_RETRY_OPTIONS, admin_guards: [TestAdminGuard] }), {}, true);
    apps.push(t);
    const page = await open(t);
    await page.locator('#endpoints-empty').waitFor({ state: 'visible' });
    await page.waitForLoadState('networkidle');
    expect(await page.locator('#catalog-section').isVisible()).toBe(false);
    expect(browserErrors).toEqual([]);
    await page.context().close();
  });
});
