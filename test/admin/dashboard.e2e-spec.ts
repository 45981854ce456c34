import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { WebhookModule } from '../../lib/webhook.module';
import { ok, TestReceiver } from '../support/receiver';
import { ADMIN_TOKEN, FAST_RETRY_OPTIONS, startApp, TestAdminGuard, waitForAttempt, type AdminTestApp } from './admin-test-app';

/** The browser globals the page functions below use (the test tsconfig has no DOM lib). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): { length: number };
  body: { dataset: Record<string, string | undefined> };
};

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test', 'artifacts');
/** After the redelivery: the new delivered attempt, no dead letters left. */
const SCREENSHOT = join(ARTIFACTS, 'dashboard.png');
/** Before it: the dead letter with its Redeliver button. */
const SCREENSHOT_BEFORE = join(ARTIFACTS, 'dashboard-dead-letter.png');
const available = existsSync(CHROMIUM);

if (!available) {
  if (process.env.CI === 'true') {
    throw new Error(`${CHROMIUM} is missing: the dashboard end-to-end test needs Debian's chromium package (apt-get install -y chromium; .ci/run installs it)`);
  }
  console.warn(`[dashboard.e2e-spec] SKIPPED: ${CHROMIUM} not found. Install Debian's chromium package (apt-get install -y chromium) to run the dashboard test.`);
}

const describeIfChromium = available ? describe : describe.skip;

describeIfChromium('operator dashboard in headless Chromium', () => {
  let receiver: TestReceiver;
  let t: AdminTestApp;
  let browser: Browser;
  let page: Page;
  let baseUrl: string;
  const browserErrors: string[] = [];

  beforeAll(async () => {
    receiver = await TestReceiver.start();
    // A customer endpoint that fails with a hostile-looking body: the page must show it as text.
    receiver.on('/hook', ok(500, '<img src=x onerror="document.body.dataset.pwned=1">'));
    t = await startApp(
      WebhookModule.forRoot({ enable_admin: true, ...FAST_RETRY_OPTIONS, retry_max_attempts: 1, admin_guards: [TestAdminGuard] }),
      {},
      true,
    );
    baseUrl = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.app.close();
    await receiver?.close();
  });

  async function openPage(token: string | null): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    const p = await context.newPage();
    if (token) await p.setExtraHTTPHeaders({ 'x-admin-token': token });
    p.on('pageerror', (err) => browserErrors.push(`pageerror: ${err.message}`));
    p.on('console', (msg) => {
      if (msg.type() === 'error') browserErrors.push(`console: ${msg.text()}`);
    });
    return p;
  }

  it('shows a dead letter, redelivers it with one click and shows the new attempt', async () => {
    const sub = await t.subscriptions.create({ url: receiver.url('/hook'), event_types: ['invoice.*'], description: 'Billing system' });
    await t.delivery.dispatch({ event_type: 'invoice.paid', payload: { invoice: 'in_42', amount: 1200 } });
    const dead = await waitForAttempt(t.store, (a) => a.status === 'dead_letter', 'the dead letter');

    page = await openPage(ADMIN_TOKEN);
    const response = await page.goto(`${baseUrl}/webhooks/ui`);
    expect(response?.status()).toBe(200);

    // Health counters, the subscription and the dead letter are on the page.
    await page.waitForFunction(() => document.querySelector('#dead_letter_count')?.textContent === '1');
    expect(await page.locator('#total_subscriptions').textContent()).toBe('1');
    expect(await page.locator('#active_subscriptions').textContent()).toBe('1');
    const subRow = page.locator(`#subscriptions-body tr[data-subscription-id="${sub.subscription_id}"]`);
    await subRow.waitFor();
    expect(await subRow.textContent()).toContain(receiver.url('/hook'));
    expect(await subRow.textContent()).toContain('active');
    const deadRow = page.locator(`#dead-letters-body tr[data-attempt-id="${dead.attempt_id}"]`);
    await deadRow.waitFor();
    const deadText = (await deadRow.textContent()) ?? '';
    expect(deadText).toContain('invoice.paid');
    expect(deadText).toContain('500');
    const failedRow = page.locator(`#deliveries-body tr[data-attempt-id="${dead.attempt_id}"]`);
    expect(await failedRow.getAttribute('data-status')).toBe('dead_letter');

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT_BEFORE, fullPage: true });

    // The endpoint recovers; Redeliver sends the event again and the page shows the delivered attempt.
    receiver.on('/hook', ok(200));
    await deadRow.locator('button.redeliver').click();
    const delivered = page.locator('#deliveries-body tr[data-status="delivered"]');
    await delivered.first().waitFor({ timeout: 10_000 });
    const deliveredText = (await delivered.first().textContent()) ?? '';
    expect(deliveredText).toContain('invoice.paid');
    expect(deliveredText).toContain('200');
    expect(deliveredText).toMatch(/\d+ ms/);
    await page.waitForFunction(() => document.querySelectorAll('#dead-letters-body tr').length === 0);
    expect(await page.locator('#dead_letter_count').textContent()).toBe('0');
    expect(await page.locator('#dead-letters-empty').isVisible()).toBe(true);
    expect(await page.locator('#message').textContent()).toContain('Redelivery queued');

    // The receiver really got the original payload again.
    const bodies = receiver.received('/hook').map((r) => JSON.parse(r.body));
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toMatchObject({ event_type: 'invoice.paid', payload: { invoice: 'in_42', amount: 1200 } });

    // Customer-controlled text was shown as text, never parsed as HTML.
    expect(await page.evaluate(() => document.body.dataset.pwned)).toBeUndefined();
    expect(await page.locator('#deliveries-body img').count()).toBe(0);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(browserErrors).toEqual([]);
  });

  it('the Refresh button reloads the data', async () => {
    await t.subscriptions.create({ url: receiver.url('/second'), event_types: null });
    await page.locator('#refresh').click();
    await page.waitForFunction(() => document.querySelector('#total_subscriptions')?.textContent === '2');
    expect(await page.locator('#subscriptions-body tr').count()).toBe(2);
  });

  it('explains when the admin API refuses access', async () => {
    const denied = await openPage('wrong-token');
    // The page itself is guarded too.
    const res = await denied.goto(`${baseUrl}/webhooks/ui`);
    expect(res?.status()).toBe(403);
    // Loaded with valid credentials, then the API starts refusing (e.g. an expired session): a clear message.
    await denied.setExtraHTTPHeaders({ 'x-admin-token': ADMIN_TOKEN });
    await denied.goto(`${baseUrl}/webhooks/ui`);
    await denied.locator('#subscriptions-body tr').first().waitFor();
    await denied.setExtraHTTPHeaders({ 'x-admin-token': 'expired' });
    await denied.locator('#refresh').click();
    await denied.locator('#message.error').waitFor();
    expect(await denied.locator('#message').textContent()).toContain('Access denied (HTTP 403)');
    await denied.context().close();
  });
});
